// Resident report form: tap on the map (grid boundaries from the public endpoint), photo
// previews (at most data-max). No inline scripts (CSP script-src 'self').
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lngInput = document.getElementById("id_lng");
  var latInput = document.getElementById("id_lat");
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

  if (mapEl && window.L) {
    map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25, preferCanvas: true });
    fetch(mapEl.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (collection) {
        features = collection.features || [];
        var layer = L.geoJSON(collection, {
          interactive: false,
          style: { color: "#e76f51", weight: 1.5, fillColor: "#e76f51", fillOpacity: 0.12 }
        }).addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [6, 6] }); } else { map.setView([32.0, 120.9], 13); }
        mapEl.dataset.features = String(features.length);
        mapEl.classList.add("cg-map-ready");
        if (lngInput.value && latInput.value) { setPoint(parseFloat(latInput.value), parseFloat(lngInput.value)); }
      }).catch(function () {
        mapEl.classList.add("cg-map-failed");
        mapEl.textContent = mapEl.dataset.errorText || "";
      });
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng); });
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
