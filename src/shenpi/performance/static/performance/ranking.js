/* The ranking page's charts (ECharts, served locally): the scores in rank order, and the monthly scores of
   the leading subjects over the last months. The figures are in the page (data-charts: no inline script under the CSP); the table below the
   charts holds the same numbers, so the page reads the same without this script. Tooltips are drawn on the
   canvas (richText): the Content-Security-Policy forbids the inline styles of HTML tooltips. */
(function () {
  "use strict";

  var COLOURS = ["#1d4f91", "#c8161d", "#e08a00", "#1e7a3c", "#7b3f9e", "#0e8a8a", "#7b8794", "#b5651d"];

  function init(id) {
    var element = document.getElementById(id);
    if (!element || typeof echarts === "undefined") { return null; }
    return echarts.init(element, null, { renderer: "canvas" });
  }

  function tooltip(trigger) {
    return { trigger: trigger, renderMode: "richText", confine: true };
  }

  function drawRanking(data) {
    var element = document.getElementById("chart-ranking");
    // A bar per subject, each tall enough to read its name.
    if (element) { element.style.height = Math.max(380, data.ranking.length * 22 + 24) + "px"; }
    var chart = init("chart-ranking");
    if (!chart) { return null; }
    var rows = data.ranking.slice().reverse();  // the first place at the top
    chart.setOption({
      color: [COLOURS[0]],
      tooltip: Object.assign(tooltip("axis"), { axisPointer: { type: "shadow" } }),
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: function (v) { return Math.max(data.base, Math.ceil(v.max)); } },
      yAxis: { type: "category", data: rows.map(function (r) { return r.rank + ". " + r.name; }),
               axisLabel: { width: 180, overflow: "truncate" } },
      series: [{ name: "得分", type: "bar", barMaxWidth: 16,
                 data: rows.map(function (r) { return r.score; }),
                 label: { show: true, position: "right", formatter: function (p) { return p.value.toFixed(2); } } }]
    });
    return chart;
  }

  function drawTrend(data) {
    var chart = init("chart-trend");
    if (!chart) { return null; }
    chart.setOption({
      color: COLOURS,
      tooltip: tooltip("axis"),
      legend: { type: "scroll", top: 0, data: data.trend.map(function (s) { return s.name; }) },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", boundaryGap: false, data: data.months },
      yAxis: { type: "value", min: 0, max: function (v) { return Math.max(data.base, Math.ceil(v.max)); } },
      series: data.trend.map(function (s) {
        return { name: s.name, type: "line", connectNulls: false, symbolSize: 6, data: s.scores };
      })
    });
    return chart;
  }

  function start() {
    var source = document.getElementById("perf-charts");
    if (!source || !source.dataset.charts) { return; }
    var data = JSON.parse(source.dataset.charts);
    var charts = [drawRanking(data), drawTrend(data)].filter(Boolean);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
