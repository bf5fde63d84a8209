// Area status map: the children of an area coloured by their red/yellow/green status, on
// the base map (basemap.js: the deployment's tiles, or the local map of names and roads).
(function () {
  "use strict";
  var FILL = { red: "#d63939", yellow: "#f59f00", green: "#2fb344", "": "#adb5bd" };
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function init(el) {
    var map = L.map(el, cgBaseMap.mapOptions({ zoomControl: true, attributionControl: false,
                                                preferCanvas: true, zoomSnap: 0.25 }));
    var base = cgBaseMap(map, cgBaseMap.optionsFrom(el));
    var labels = {
      red: el.dataset.labelRed, yellow: el.dataset.labelYellow,
      green: el.dataset.labelGreen, "": el.dataset.labelNone
    };
    var outlineGroup = L.layerGroup().addTo(map);
    var layer = null;
    base.track(el.dataset.url, function (data, first) {
      var outline = null;
      outlineGroup.clearLayers();
      if (data.area && data.area.boundary) {
        outline = L.geoJSON(data.area.boundary, {
          interactive: false, style: { color: "#1d3557", weight: 3, fill: false, dashArray: "6 4" }
        }).addTo(outlineGroup);
      }
      if (layer) { map.removeLayer(layer); }
      layer = L.geoJSON(data, {
        style: function (f) {
          var c = FILL[f.properties.status] || FILL[""];
          return { color: "#ffffff", weight: 1.5, fillColor: c, fillOpacity: 0.65 };
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          var html = "<strong>" + esc(p.name) + "</strong> · " + esc(labels[p.status || ""] || "");
          (p.reasons || []).slice(0, 3).forEach(function (r) { html += "<br>" + esc(r.text); });
          lyr.bindTooltip(html, { sticky: true });
          lyr.on("mouseover", function () { lyr.setStyle({ fillOpacity: 0.85, weight: 3 }); });
          lyr.on("mouseout", function () { layer.resetStyle(lyr); });
          lyr.on("click", function () {
            window.location.href = el.dataset.statusUrl.replace("__CODE__", p.code);
          });
        }
      }).addTo(map);
      base.addLabels(data.features);
      if (!first) { return; }
      var bounds = layer.getBounds();
      if (outline && outline.getBounds().isValid()) { bounds = outline.getBounds(); }
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
      else { map.setView([32.0, 120.9], 12); }
      el.dataset.features = String(data.features.length);
      el.classList.add("cg-map-ready");
    }).catch(function () {
      el.innerHTML = '<div class="p-3 text-danger">' + esc(el.dataset.errorText || "Map failed to load") + "</div>";
    });
  }
  document.querySelectorAll("[data-status-map]").forEach(init);
})();
