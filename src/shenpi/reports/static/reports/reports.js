/* The statistics pages' charts (ECharts, served locally) and the print button. The figures are in the
   page (data-chart / data-charts attributes: the Content-Security-Policy forbids inline scripts); the
   table on each page holds the same numbers, so the page reads the same without this script.
   Tooltips are drawn on the canvas (richText): the CSP forbids the inline styles of HTML tooltips. */
(function () {
  "use strict";

  var COLOURS = ["#1d4f91", "#c8161d", "#e08a00", "#1e7a3c", "#7b3f9e", "#0e8a8a", "#7b8794", "#b5651d"];
  var charts = [];

  function init(id) {
    var element = document.getElementById(id);
    if (!element || typeof echarts === "undefined") { return null; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  function tooltip(trigger) {
    return { trigger: trigger, renderMode: "richText", confine: true };
  }

  function axisChart(chart, spec) {
    var unit = spec.unit || "";
    chart.setOption({
      color: COLOURS,
      tooltip: Object.assign(tooltip("axis"), { axisPointer: { type: "shadow" } }),
      legend: { type: "scroll", top: 0, data: spec.series.map(function (s) { return s.name; }) },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories, axisLabel: { interval: "auto", hideOverlap: true } },
      yAxis: { type: "value", axisLabel: { formatter: "{value}" + unit } },
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.type, data: s.data, barMaxWidth: 28, connectNulls: false };
      })
    });
  }

  function pieChart(chart, spec) {
    var values = spec.series[0].data;
    chart.setOption({
      color: COLOURS,
      tooltip: Object.assign(tooltip("item"), { formatter: "{b}: {c} ({d}%)" }),
      legend: { type: "scroll", bottom: 0 },
      series: [{ name: spec.title, type: "pie", radius: ["30%", "65%"], top: 0, bottom: 30,
                 data: spec.categories.map(function (name, i) { return { name: name, value: values[i] }; }) }]
    });
  }

  function drawReport() {
    var element = document.getElementById("chart-report");
    if (!element || !element.dataset.chart) { return; }
    var spec = JSON.parse(element.dataset.chart);
    var chart = init("chart-report");
    if (!chart) { return; }
    if (spec.type === "pie") { pieChart(chart, spec); } else { axisChart(chart, spec); }
  }

  function drawHome() {
    var source = document.getElementById("rep-home-charts");
    if (!source || !source.dataset.charts) { return; }
    var data = JSON.parse(source.dataset.charts);
    var trend = init("chart-trend");
    if (trend) {
      axisChart(trend, { type: "line", categories: data.trend.months,
                         series: [{ name: "收件", data: data.trend.received }, { name: "办结", data: data.trend.completed }] });
    }
    var ranking = init("chart-ranking");
    if (ranking) {
      var rows = data.ranking.slice().reverse();  // the first place at the top
      ranking.setOption({
        color: [COLOURS[0]],
        tooltip: Object.assign(tooltip("axis"), { axisPointer: { type: "shadow" } }),
        grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
                 axisLabel: { width: 160, overflow: "truncate" } },
        series: [{ name: "办结数", type: "bar", barMaxWidth: 16, data: rows.map(function (r) { return r.completed; }),
                   label: { show: true, position: "right" } }]
      });
    }
    var channels = init("chart-channels");
    if (channels) {
      pieChart(channels, { title: "收件", categories: data.channels.map(function (c) { return c.name; }),
                           series: [{ data: data.channels.map(function (c) { return c.value; }) }] });
    }
    var hours = init("chart-hours");
    if (hours) {
      axisChart(hours, { type: "bar", categories: data.hours.map(function (_, h) { return h + "时"; }),
                         series: [{ name: "收件", data: data.hours }] });
    }
  }

  // The map of the districts (or towns): one registered map per level, coloured by the chosen figure;
  // a click on an area opens the 办件量 report filtered by it. The figures are in data-map.
  function mapOption(level, figure) {
    var values = level.areas.map(function (a) { return a.values[figure.code]; })
      .filter(function (v) { return v !== null && v !== undefined; });
    var top = figure.kind === "rate" ? 100 : Math.max(1, Math.max.apply(null, values.concat([0])));
    var byKey = {};
    level.areas.forEach(function (a) { byKey[a.key] = a; });
    function shown(value) {
      return value === null || value === undefined ? "—" : value + (figure.kind === "rate" ? "%" : "件");
    }
    return {
      tooltip: Object.assign(tooltip("item"), {
        formatter: function (p) {
          var area = byKey[p.name];
          return area ? area.title + "\n" + figure.label + "：" + shown(area.values[figure.code]) : p.name;
        }
      }),
      visualMap: { type: "continuous", min: 0, max: top, left: 8, bottom: 8, calculable: false,
                   text: [figure.kind === "rate" ? "100%" : String(top), "0"],
                   inRange: { color: ["#e3ecf7", "#1d4f91"] } },
      series: [{
        id: "areas", name: figure.label, type: "map", map: "shenpi-" + level.level, nameProperty: "key",
        roam: false, selectedMode: false, layoutCenter: ["50%", "50%"], layoutSize: "95%",
        label: { show: true, color: "#1f2933", fontSize: 13, textBorderColor: "#ffffff", textBorderWidth: 3,
                 formatter: function (p) { return byKey[p.name] ? byKey[p.name].name : p.name; } },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#e08a00" } },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1.5, areaColor: "#eeeeee" },
        data: level.areas.map(function (a) {
          var v = a.values[figure.code];
          return { name: a.key, value: v === null || v === undefined ? NaN : v };
        })
      }]
    };
  }

  function drawMap() {
    var element = document.getElementById("chart-map");
    if (!element || !element.dataset.map || typeof echarts === "undefined" || !echarts.registerMap) { return; }
    var data = JSON.parse(element.dataset.map);
    if (!data.levels.length) { return; }
    data.levels.forEach(function (l) { echarts.registerMap("shenpi-" + l.level, l.geo); });
    var chart = init("chart-map");
    var figureSelect = document.getElementById("rep-map-figure");
    var levelSelect = document.getElementById("rep-map-level");
    data.figures.forEach(function (f) { figureSelect.add(new Option(f.label, f.code)); });
    data.levels.forEach(function (l) { levelSelect.add(new Option(l.label, l.level)); });
    if (data.levels.length < 2) {
      document.querySelectorAll(".rep-map-level").forEach(function (e) { e.hidden = true; });
    }
    var current = {};
    function draw() {
      current.level = data.levels.find(function (l) { return l.level === levelSelect.value; }) || data.levels[0];
      current.figure = data.figures.find(function (f) { return f.code === figureSelect.value; }) || data.figures[0];
      chart.setOption(mapOption(current.level, current.figure), { notMerge: true });
    }
    figureSelect.addEventListener("change", draw);
    levelSelect.addEventListener("change", draw);
    chart.on("click", function (p) {
      var area = current.level.areas.find(function (a) { return a.key === p.name; });
      if (area && area.url) { window.location.assign(area.url); }
    });
    draw();
  }

  // A period is a shortcut or two dates, not both: choosing one clears the other.
  function exclusivePeriod() {
    var period = document.getElementById("rep-period");
    var dates = [document.getElementById("rep-from"), document.getElementById("rep-to")];
    if (!period || !dates[0] || !dates[1]) { return; }
    period.addEventListener("change", function () {
      if (period.value) { dates.forEach(function (d) { d.value = ""; }); }
    });
    dates.forEach(function (d) {
      d.addEventListener("change", function () { if (d.value) { period.value = ""; } });
    });
  }

  function start() {
    exclusivePeriod();
    drawReport();
    drawHome();
    drawMap();
    var print = document.getElementById("rep-print");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    // The charts fit the printed page's width, and the screen's again after printing.
    window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
    window.addEventListener("afterprint", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
