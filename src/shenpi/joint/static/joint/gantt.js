/* A project's Gantt-like chart (ECharts, served locally): per row (a stage, then its parts) the planned bar
   (accepted → promised due) and the actual one (→ concluded or today), red when late. Bars are stacked on an
   invisible offset. The figures come from the page's JSON endpoint; the table below the chart has them too.
   Tooltips are drawn on the canvas (richText): the Content-Security-Policy forbids inline styles. */
(function () {
  "use strict";

  var DAY = 86400000;

  function label(base, offset) {
    var d = new Date(base + offset * DAY);
    return (d.getUTCMonth() + 1) + "/" + d.getUTCDate();
  }

  function draw(element, data) {
    if (typeof echarts === "undefined") { return; }
    var rows = data.rows.slice().reverse();
    var base = Date.parse(data.start + "T00:00:00Z");
    var names = rows.map(function (r) { return (r.kind === "part" ? "  · " : "") + r.label; });
    var chart = echarts.init(element, null, { renderer: "canvas" });
    element.setAttribute("data-rendered", "true");
    function offsets(key) { return rows.map(function (r) { return r[key][0]; }); }
    function lengths(key, colours) {
      return rows.map(function (r) {
        return { value: Math.max(r[key][1] - r[key][0], 0.3), row: r, key: key,
                 itemStyle: { color: colours(r) } };
      });
    }
    chart.setOption({
      tooltip: {
        trigger: "item", renderMode: "richText", confine: true,
        formatter: function (p) {
          if (!p.data || !p.data.row) { return ""; }
          var r = p.data.row;
          var which = p.data.key === "plan_days" ? "计划" : "实际";
          var span = p.data.key === "plan_days" ? r.plan : r.actual;
          return r.label + "\n" + r.number + " · " + r.state + "\n" + which + "：" + span[0] + " → " + span[1];
        }
      },
      legend: { data: ["计划", "实际"], top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 24, containLabel: true },
      xAxis: { type: "value", min: 0, axisLabel: { formatter: function (v) { return label(base, v); } } },
      yAxis: { type: "category", data: names, axisLabel: { width: 260, overflow: "truncate" } },
      series: [
        { name: "plan-offset", type: "bar", stack: "plan", silent: true, itemStyle: { color: "transparent" },
          data: offsets("plan_days"), tooltip: { show: false } },
        { name: "计划", type: "bar", stack: "plan", barMaxWidth: 10, itemStyle: { color: "#b8c7de" }, data: lengths("plan_days", function () {
          return "#b8c7de"; }) },
        { name: "actual-offset", type: "bar", stack: "actual", silent: true, itemStyle: { color: "transparent" },
          data: offsets("actual_days"), tooltip: { show: false } },
        { name: "实际", type: "bar", stack: "actual", barMaxWidth: 10, itemStyle: { color: "#2760ad" }, data: lengths("actual_days", function (r) {
          return r.late ? "#c8161d" : (r.kind === "stage" ? "#1d4f91" : "#2760ad"); }),
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#e08a00", type: "dashed" },
                      label: { formatter: "今日" }, data: [{ xAxis: data.today_day }] } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    var element = document.getElementById("gantt-chart");
    if (!element) { return; }
    fetch(element.getAttribute("data-source"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) { draw(element, data); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
