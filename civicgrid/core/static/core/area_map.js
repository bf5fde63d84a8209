// Area map: the boundaries of an area and its children (or grids) on the base map
// (basemap.js: the deployment's tiles, or the local map of names, roads and buildings).
(function () {
  "use strict";
  var COLORS = { street: "#1d3557", community: "#2a9d8f", grid: "#e76f51", county: "#6c757d" };
  // Leaflet puts a string tooltip in as HTML: area names are data, so they go in as text.
  function textNode(tag, text) {
    var node = document.createElement(tag);
    node.textContent = text == null ? "" : String(text);
    return node;
  }
  function init(el) {
    var map = L.map(el, cgBaseMap.mapOptions({ zoomControl: true, attributionControl: false,
                                                preferCanvas: true, zoomSnap: 0.25 }));
    var base = cgBaseMap(map, cgBaseMap.optionsFrom(el));
    var detailUrl = el.dataset.detailUrl; // ends with "/CODE/"
    var outline = L.layerGroup().addTo(map);
    var layer = null;
    function draw(data, first) {
      outline.clearLayers();
      if (data.area && data.area.boundary) {
        L.geoJSON(data.area.boundary, {
          interactive: false, style: { color: "#1d3557", weight: 3, fill: false, dashArray: "6 4" }
        }).addTo(outline);
      }
      if (layer) { map.removeLayer(layer); }
      layer = L.geoJSON(data, {
        style: function (f) {
          var c = COLORS[f.properties.level] || "#457b9d";
          return { color: c, weight: 1.5, fillColor: c, fillOpacity: 0.18 };
        },
        onEachFeature: function (f, lyr) {
          lyr.bindTooltip(textNode("span", f.properties.name), { sticky: true });
          lyr.on("mouseover", function () { lyr.setStyle({ fillOpacity: 0.45 }); });
          lyr.on("mouseout", function () { layer.resetStyle(lyr); });
          lyr.on("click", function () {
            window.location.href = detailUrl.replace("__CODE__", f.properties.code);
          });
        }
      }).addTo(map);
      base.addLabels(data.features);
      if (!first) { return; }
      var bounds = layer.getBounds();
      var outlineBounds = L.geoJSON(data.area && data.area.boundary || []).getBounds();
      if (outlineBounds.isValid()) { bounds = outlineBounds; }
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
      else { map.setView([32.0, 120.9], 12); }
      el.dataset.features = String(data.features.length);
      el.classList.add("cg-map-ready");
    }
    base.track(el.dataset.url, draw).catch(function () {
      var message = textNode("div", el.dataset.errorText || "Map failed to load");
      message.className = "p-3 text-danger";
      el.replaceChildren(message);
    });
  }
  document.querySelectorAll("[data-area-map]").forEach(init);
})();
