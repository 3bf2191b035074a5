/* Small behaviours of the back office: population charts and the "/" search shortcut. */
(function () {
  "use strict";

  var FONT = getComputedStyle(document.documentElement).getPropertyValue("--mz-font") || "sans-serif";

  function populationChart(element) {
    if (!window.echarts || element.dataset.chartReady) return;
    var source = document.getElementById(element.dataset.populationChart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      textStyle: { fontFamily: FONT },
      color: ["#1458b5", "#7fb0ec"],
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: {
        type: "value",
        axisLabel: { fontSize: 11, color: "#5d6b7e" },
        splitLine: { lineStyle: { color: "#edf1f6" } },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: data.names,
        axisTick: { show: false },
        axisLine: { lineStyle: { color: "#c9d3e0" } },
        axisLabel: { fontSize: 12, color: "#34445a" },
      },
      series: [
        { name: data.labels.registered, type: "bar", data: data.registered, barMaxWidth: 12 },
        { name: data.labels.resident, type: "bar", data: data.resident, barMaxWidth: 12 },
      ],
    });
    element.dataset.chartReady = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init(root) {
    root.querySelectorAll("[data-population-chart]").forEach(populationChart);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });

  // "/" jumps to the search box, as on most search-centred systems.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var box = document.querySelector("[data-search-input]");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
