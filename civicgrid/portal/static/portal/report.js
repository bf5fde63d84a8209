// Resident report form: tap on the map (grid boundaries from the public endpoint, on the
// base map of core/basemap.js), photo previews (at most data-max). No inline scripts (CSP
// script-src 'self').
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lngInput = document.getElementById("id_lng");
  var latInput = document.getElementById("id_lat");
  // The system of lng/lat: wgs84 for a tap on the map (its e.latlng is WGS 84 whatever the
  // tiles); a script taking the point from a GCJ-02 or BD-09 SDK sets gcj02 or bd09.
  var systemInput = document.getElementById("id_coordinate_system");
  var statusEl = form.querySelector("[data-location-status]");
  var mapEl = form.querySelector("[data-location-picker]");
  var features = [];

  function ringContains(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function gridAt(lng, lat) {
    for (var i = 0; i < features.length; i++) {
      var g = features[i].geometry;
      if (!g) { continue; }
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polys.length; p++) {
        var rings = polys[p], hole = false;
        if (!ringContains(rings[0], lng, lat)) { continue; }
        for (var k = 1; k < rings.length; k++) { if (ringContains(rings[k], lng, lat)) { hole = true; } }
        if (!hole) { return features[i].properties; }
      }
    }
    return null;
  }

  var map = null, marker = null;
  function setPoint(lat, lng) {
    lngInput.value = lng.toFixed(6);
    latInput.value = lat.toFixed(6);
    var grid = gridAt(lng, lat);
    if (statusEl) {
      statusEl.textContent = (statusEl.dataset.setText || "") + (grid ? ":" + grid.name : "") +
        " (" + lng.toFixed(5) + ", " + lat.toFixed(5) + ")";
      statusEl.classList.add("text-success");
    }
    if (map) {
      var ll = L.latLng(lat, lng);
      if (!marker) {
        marker = L.circleMarker(ll, { radius: 10, color: "#b71c1c", weight: 3, fillColor: "#e63946", fillOpacity: 0.6 }).addTo(map);
      } else { marker.setLatLng(ll); }
    }
  }

  if (mapEl && window.L && window.cgBaseMap) {
    // The base map (core/basemap.js): the deployment's tiles, or names of communities and
    // grids, roads and buildings. Its coordinate system keeps e.latlng in WGS 84 even on
    // GCJ-02 tiles, so the point is sent as WGS 84.
    map = L.map(mapEl, cgBaseMap.mapOptions({ attributionControl: false, zoomSnap: 0.25,
                                               preferCanvas: true }));
    var base = cgBaseMap(map, cgBaseMap.optionsFrom(mapEl));
    var layer = null;
    base.track(mapEl.dataset.url, function (collection, first) {
      features = collection.features || [];  // (finer outlines when zoomed in)
      if (layer) { map.removeLayer(layer); }
      layer = L.geoJSON(collection, {
        interactive: false,
        style: { color: "#e76f51", weight: 1.2, opacity: 0.8, fillColor: "#e76f51", fillOpacity: 0.05 }
      }).addTo(map);
      base.addLabels(features);
      if (!first) { return; }
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [6, 6] }); } else { map.setView([32.0, 120.9], 13); }
      mapEl.dataset.features = String(features.length);
      mapEl.classList.add("cg-map-ready");
      if (lngInput.value && latInput.value) { setPoint(parseFloat(latInput.value), parseFloat(lngInput.value)); }
    }).catch(function () {
      mapEl.classList.add("cg-map-failed");
      mapEl.textContent = mapEl.dataset.errorText || "";
    });
    map.on("click", function (e) {
      if (systemInput) { systemInput.value = "wgs84"; }
      setPoint(e.latlng.lat, e.latlng.lng);
    });
  }

  var input = form.querySelector("[data-photos]");
  var previews = form.querySelector("[data-photo-previews]");
  var store = (typeof DataTransfer === "function") ? new DataTransfer() : null;
  var max = input ? parseInt(input.dataset.max || "3", 10) : 3;
  function render() {
    previews.innerHTML = "";
    Array.prototype.forEach.call(input.files, function (file, index) {
      var li = document.createElement("li");
      li.className = "cg-preview";
      var img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
      li.appendChild(img);
      if (store) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-danger cg-preview-remove";
        remove.setAttribute("aria-label", "×");
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          store.items.remove(index);
          input.files = store.files;
          render();
        });
        li.appendChild(remove);
      }
      previews.appendChild(li);
    });
  }
  if (input && previews) {
    input.addEventListener("change", function () {
      if (store) {
        Array.prototype.forEach.call(input.files, function (f) {
          var known = Array.prototype.some.call(store.files, function (g) {
            return g.name === f.name && g.size === f.size && g.lastModified === f.lastModified;
          });
          if (!known && store.files.length < max) { store.items.add(f); }
        });
        input.files = store.files;
      }
      render();
    });
  }
})();
