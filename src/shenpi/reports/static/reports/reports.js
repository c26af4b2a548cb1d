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
    var print = document.getElementById("rep-print");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    // The charts fit the printed page's width, and the screen's again after printing.
    window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
    window.addEventListener("afterprint", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
