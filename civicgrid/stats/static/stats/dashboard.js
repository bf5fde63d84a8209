// Leaders' dashboard: the trend and category charts (ECharts, SVG renderer so the pages
// print and scale) and the area status map (Leaflet, no tiles). Data comes from the page
// (json_script "dashboard-data"); every chart element links to the cases behind it.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var STATUS = { red: "#d63939", yellow: "#f59f00", green: "#2fb344" };
  var charts = [];

  // The month still running (t.partial): its bars drawn lighter and its label marked "*",
  // so that a few days' numbers are not read as a fall.
  function lighter(values, partial) {
    return values.map(function (v, i) {
      return partial && i === values.length - 1 ? { value: v, itemStyle: { opacity: 0.4 } } : v;
    });
  }

  function trend(el) {
    var t = data.trend;
    var months = t.months.map(function (m, i) {
      return t.partial && i === t.months.length - 1 ? m + "*" : m;
    });
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 44, top: 36, bottom: 28 },
      legend: { top: 0, data: [t.labels.registered, t.labels.closed, t.labels.rate] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: months, axisLabel: { formatter: function (v) { return v.slice(2); } } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: t.labels.registered, type: "bar", data: lighter(t.registered, t.partial), itemStyle: { color: "#206bc4" } },
        { name: t.labels.closed, type: "bar", data: lighter(t.closed, t.partial), itemStyle: { color: "#2fb344" } },
        { name: t.labels.rate, type: "line", yAxisIndex: 1, data: t.rate, connectNulls: true, itemStyle: { color: "#f76707" } }
      ]
    });
    chart.on("click", function (p) { if (t.links[p.dataIndex]) { window.location.href = t.links[p.dataIndex]; } });
    return chart;
  }

  function mix(el) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { type: "scroll", bottom: 0 },
      series: [{ type: "pie", radius: ["38%", "68%"], center: ["50%", "45%"], avoidLabelOverlap: true,
                 label: { show: el.clientWidth > 420, formatter: "{b}\n{c}" }, data: data.mix }]
    });
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    return chart;
  }

  // The tooltip of an area: its name and the reasons of its status, as text (Leaflet puts a
  // string in as HTML, and area names and reasons are data, not markup).
  function tooltip(props) {
    var box = document.createElement("span");
    var name = document.createElement("strong");
    name.textContent = props.name == null ? "" : String(props.name);
    box.appendChild(name);
    (props.reasons || []).forEach(function (r) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(r.text == null ? "" : String(r.text)));
    });
    return box;
  }

  function statusMap(el) {
    var map = L.map(el, { attributionControl: false, preferCanvas: false, zoomSnap: 0.25 });
    var layer = L.geoJSON(data.map, {
      style: function (f) {
        var c = STATUS[f.properties.status] || "#adb5bd";
        return { color: "#ffffff", weight: 1, fillColor: c, fillOpacity: 0.7 };
      },
      onEachFeature: function (f, lyr) {
        lyr.bindTooltip(tooltip(f.properties), { sticky: true });
        lyr.on("click", function () {
          window.location.href = el.dataset.dashboardUrl.replace("__CODE__", f.properties.code);
        });
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [6, 6] }); } else { map.setView([32.0, 120.9], 11); }
    el.dataset.features = String(data.map.features.length);
    el.classList.add("cg-map-ready");
  }

  try {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      charts.push(el.dataset.chart === "trend" ? trend(el) : mix(el));
      el.classList.add("cg-chart-ready");
    });
    document.querySelectorAll("[data-status-map]").forEach(statusMap);
  } catch (e) {
    var text = document.getElementById("dashboard-text").dataset.error;
    document.querySelectorAll("[data-chart]").forEach(function (el) { el.textContent = text; });
    throw e;
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
