/* The live board's charts (ECharts, served locally). The figures come from the board's JSON endpoint and are
   fetched again each time htmx refreshes the figures above them. The page works without this script: the
   numbers and the department table are in the HTML. Tooltips are drawn on the canvas (richText): the
   Content-Security-Policy forbids the inline styles of ECharts' HTML tooltips. */
(function () {
  "use strict";

  var LEVEL_COLOURS = ["#2760ad", "#e0b400", "#c8161d"];
  var CATEGORY_COLOURS = ["#1d4f91", "#c8161d", "#e08a00", "#1e7a3c", "#7b8794"];
  var TOP_DEPARTMENTS = 15;
  var charts = {};

  function board() { return document.getElementById("board-charts"); }

  function chart(id) {
    var element = document.getElementById(id);
    if (!element || typeof echarts === "undefined") { return null; }
    if (!charts[id]) { charts[id] = echarts.init(element, null, { renderer: "canvas" }); }
    return charts[id];
  }

  function listUrl(query) {
    return window.location.pathname + "?" + query + "#alert-list";
  }

  function tooltip(trigger) {
    return { trigger: trigger, renderMode: "richText", confine: true };
  }

  function drawDepartments(data) {
    var c = chart("chart-departments");
    if (!c) { return; }
    var rows = data.departments.slice(0, TOP_DEPARTMENTS).reverse();
    c.setOption({
      color: LEVEL_COLOURS,
      tooltip: Object.assign(tooltip("axis"), { axisPointer: { type: "shadow" } }),
      legend: { data: data.level_names, top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map(function (d) { return d.name; }) },
      series: data.level_names.map(function (name, i) {
        return { name: name, type: "bar", stack: "open", barMaxWidth: 22,
                 data: rows.map(function (d) { return { value: d.levels[i], department: d.id, level: i + 1 }; }) };
      })
    }, true);
    c.off("click");
    c.on("click", function (event) {
      if (event.data && event.data.department) {
        window.location.href = listUrl("department=" + event.data.department + "&level=" + event.data.level);
      }
    });
  }

  function drawCategories(data) {
    var c = chart("chart-categories");
    if (!c) { return; }
    var slices = data.categories.filter(function (d) { return d.value > 0; });
    c.setOption({
      color: CATEGORY_COLOURS,
      tooltip: Object.assign(tooltip("item"), { formatter: "{b}：{c}（{d}%）" }),
      legend: { bottom: 0 },
      title: slices.length ? undefined : { text: "当前没有未解除的告警", left: "center", top: "middle",
                                           textStyle: { fontSize: 14, fontWeight: "normal", color: "#7b8794" } },
      series: [{
        type: "pie", radius: ["38%", "68%"], center: ["50%", "46%"], avoidLabelOverlap: true,
        label: { formatter: "{b}\n{c}" },
        data: slices.map(function (d) { return { name: d.name, value: d.value, code: d.code }; })
      }]
    }, true);
    c.off("click");
    c.on("click", function (event) {
      if (event.data && event.data.code) { window.location.href = listUrl("category=" + event.data.code); }
    });
  }

  function drawTrend(data) {
    var c = chart("chart-trend");
    if (!c) { return; }
    c.setOption({
      color: LEVEL_COLOURS,
      tooltip: tooltip("axis"),
      legend: { data: data.level_names, top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", boundaryGap: false,
               data: data.trend.days.map(function (day) { return day.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: data.level_names.map(function (name, i) {
        return { name: name, type: "line", showSymbol: false, data: data.trend.series[i + 1] };
      })
    }, true);
  }

  function load() {
    var container = board();
    if (!container) { return; }
    if (typeof echarts === "undefined") {
      container.querySelectorAll(".sv-chart").forEach(function (el) {
        el.classList.add("sv-chart-missing");
        el.textContent = "图表组件未能加载，请参阅上方数字和部门统计表。";
      });
      return;
    }
    fetch(container.getAttribute("data-source"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        drawDepartments(data);
        drawCategories(data);
        drawTrend(data);
        container.setAttribute("data-loaded", new Date().toISOString());
      })
      .catch(function () {
        container.setAttribute("data-failed", "true");
      });
  }

  document.addEventListener("DOMContentLoaded", load);
  // The figures swap themselves (outerHTML): the event's target may be the old element or the new one.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = (event.detail && event.detail.target) || event.target;
    if ((target && target.id === "board-live") || (event.target && event.target.id === "board-live")) { load(); }
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
})();
