// Area map: draws the boundaries of an area and its children (or grids) with Leaflet.
// No tile layer: deployments have no internet, so the polygons are the map.
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
    var map = L.map(el, { zoomControl: true, attributionControl: false, preferCanvas: true, zoomSnap: 0.25 });
    var detailUrl = el.dataset.detailUrl; // ends with "/CODE/"
    fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var outline = null;
        if (data.area && data.area.boundary) {
          outline = L.geoJSON(data.area.boundary, {
            style: { color: "#1d3557", weight: 3, fill: false, dashArray: "6 4" }
          }).addTo(map);
        }
        var layer = L.geoJSON(data, {
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
        var bounds = layer.getBounds();
        if (outline && outline.getBounds().isValid()) { bounds = outline.getBounds(); }
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
        else { map.setView([32.0, 120.9], 12); }
        el.dataset.features = String(data.features.length);
        el.classList.add("cg-map-ready");
      })
      .catch(function () {
        var message = textNode("div", el.dataset.errorText || "Map failed to load");
        message.className = "p-3 text-danger";
        el.replaceChildren(message);
      });
  }
  document.querySelectorAll("[data-area-map]").forEach(init);
})();
