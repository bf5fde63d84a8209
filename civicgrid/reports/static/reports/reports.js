// Analysis reports: the trend, category and channel charts (ECharts, canvas). The data
// comes from the page (json_script "report-charts", no inline script: CSP); clicking a bar,
// a point or a slice opens the list of the cases behind it.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var COLORS = ["#206bc4", "#2fb344", "#f76707", "#ae3ec9", "#d63939", "#17a2b8", "#f59f00", "#74b816", "#868e96"];
  var charts = [];

  function go(url) { if (url) { window.location.href = url; } }

  function trend(el) {
    var t = data.trend;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      color: COLORS,
      grid: { left: 44, right: 16, top: 40, bottom: 28 },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: t.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: t.series.map(function (s, i) {
        return { name: s.name, type: i === 0 ? "bar" : (t.series.length > 2 && i === 1 ? "bar" : "line"),
                 data: s.data, symbolSize: 7 };
      })
    });
    chart.on("click", function (p) { go((t.series[p.seriesIndex].links || [])[p.dataIndex]); });
    return chart;
  }

  function categories(el) {
    var c = data.categories;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      color: COLORS,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { type: "scroll", bottom: 0 },
      series: [{ type: "pie", radius: ["38%", "66%"], center: ["50%", "45%"], avoidLabelOverlap: true,
                 label: { formatter: "{b}\n{c}" }, data: c.items }]
    });
    chart.on("click", function (p) { go(p.data && p.data.url); });
    return chart;
  }

  function channels(el) {
    var c = data.channels;
    var items = c.items.slice().reverse();
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 96, right: 28, top: 8, bottom: 20 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: items.map(function (i) { return i.name; }) },
      series: [{ type: "bar", data: items.map(function (i) { return { value: i.value, url: i.url }; }),
                 itemStyle: { color: "#206bc4" }, label: { show: true, position: "right" } }]
    });
    chart.on("click", function (p) { go(p.data && p.data.url); });
    return chart;
  }

  var BUILD = { trend: trend, categories: categories, channels: channels };
  try {
    document.querySelectorAll("[data-report-chart]").forEach(function (el) {
      charts.push(BUILD[el.dataset.reportChart](el));
      el.classList.add("cg-chart-ready");
    });
  } catch (e) {
    var text = document.getElementById("report-text").dataset.error;
    document.querySelectorAll("[data-report-chart]").forEach(function (el) { el.textContent = text; });
    throw e;
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
