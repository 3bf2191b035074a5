/* Charts of the assistance reports (ECharts). Data comes from a json_script element named by
   the chart's data-report-chart attribute: no inline script.
   - "bars": {names, bars: [{name, data}], line?: {name, data}, axes: [left, right]}
     stacked bars by region (or town), with an optional line on the right axis;
   - "trend": {months, lines: [{name, data, axis}], axes: [left, right]}. */
(function () {
  "use strict";

  var FONT = getComputedStyle(document.documentElement).getPropertyValue("--mz-font") || "sans-serif";
  var COLORS = ["#1458b5", "#2a9d8f", "#e9a23b", "#8e5bd0", "#d1495b", "#7fb0ec", "#5d6b7e"];
  var AXIS_LABEL = { fontSize: 11, color: "#5d6b7e" };
  var SPLIT = { lineStyle: { color: "#edf1f6" } };

  function base(data) {
    return {
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      textStyle: { fontFamily: FONT },
      color: COLORS,
      grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
      legend: { top: 0, type: "scroll", itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      yAxis: [
        { type: "value", name: data.axes[0], axisLabel: AXIS_LABEL, splitLine: SPLIT, minInterval: 1 },
        { type: "value", name: data.axes[1], axisLabel: AXIS_LABEL, splitLine: { show: false } },
      ],
    };
  }

  function bars(data) {
    var option = base(data);
    option.xAxis = { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 6 ? 30 : 0 } };
    option.series = data.bars.map(function (bar) {
      return { name: bar.name, type: "bar", stack: "count", data: bar.data, barMaxWidth: 28 };
    });
    if (data.line) {
      option.series.push({ name: data.line.name, type: "line", yAxisIndex: 1, data: data.line.data, symbolSize: 6 });
    } else {
      option.yAxis.pop();
    }
    return option;
  }

  function trend(data) {
    var option = base(data);
    option.tooltip = { trigger: "axis" };
    option.xAxis = { type: "category", boundaryGap: false, data: data.months };
    option.series = data.lines.map(function (line) {
      return {
        name: line.name,
        type: "line",
        yAxisIndex: line.axis,
        data: line.data,
        lineStyle: line.axis ? { type: "dashed" } : {},
        symbolSize: 5,
      };
    });
    return option;
  }

  var KINDS = { bars: bars, trend: trend };

  function draw(element) {
    if (!window.echarts || element.dataset.chartReady) return;
    var source = document.getElementById(element.dataset.reportChart);
    var kind = KINDS[element.dataset.chartKind];
    if (!source || !kind) return;
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(kind(JSON.parse(source.textContent)));
    element.dataset.chartReady = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init(root) {
    root.querySelectorAll("[data-report-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
