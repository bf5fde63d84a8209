// Case intake form: two-step category, map picker with "use my location", photos with
// previews, party rows. No inline scripts (CSP script-src 'self'); data comes from data-*.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) { return; }

  // --- category: top group, then a leaf of that group -------------------------------------
  var group = form.querySelector("[data-category-group]");
  var leaf = form.querySelector("[data-category-leaf]");
  if (group && leaf) {
    var placeholder = leaf.options[0].cloneNode(true);
    var leaves = Array.prototype.slice.call(leaf.options, 1).map(function (o) { return o.cloneNode(true); });
    var fillLeaves = function (keep) {
      var current = keep ? leaf.value : "";
      while (leaf.options.length) { leaf.remove(0); }
      leaf.appendChild(placeholder.cloneNode(true));
      var mine = leaves.filter(function (o) { return o.dataset.group === group.value; });
      mine.forEach(function (o) { leaf.appendChild(o.cloneNode(true)); });
      if (mine.length === 1 && !current) { current = mine[0].value; }
      leaf.value = current;
      leaf.disabled = !group.value;
    };
    if (!group.value && leaf.value) {
      var chosen = leaf.options[leaf.selectedIndex];
      if (chosen && chosen.dataset.group) { group.value = chosen.dataset.group; }
    }
    fillLeaves(true);
    group.addEventListener("change", function () {
      fillLeaves(false);
      leaf.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  // --- location: tap on the map, or the browser's position --------------------------------
  var lngInput = document.getElementById("id_lng");
  var latInput = document.getElementById("id_lat");
  // The system of lng/lat: wgs84 for a tap on the map (its e.latlng is WGS 84 whatever the
  // tiles) and for the browser's position; a script taking the point from a GCJ-02 or BD-09
  // SDK sets gcj02 or bd09.
  var systemInput = document.getElementById("id_coordinate_system");
  function setWgs84() { if (systemInput) { systemInput.value = "wgs84"; } }
  var areaSelect = form.querySelector("[data-area-select]");
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
  function polygonContains(rings, x, y) {
    if (!ringContains(rings[0], x, y)) { return false; }
    for (var k = 1; k < rings.length; k++) { if (ringContains(rings[k], x, y)) { return false; } }
    return true;
  }
  function gridAt(lng, lat) {
    for (var i = 0; i < features.length; i++) {
      var g = features[i].geometry;
      if (!g) { continue; }
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polys.length; p++) {
        if (polygonContains(polys[p], lng, lat)) { return features[i].properties; }
      }
    }
    return null;
  }

  var map = null;
  var marker = null;
  function setPoint(lat, lng, announce) {
    lngInput.value = lng.toFixed(6);
    latInput.value = lat.toFixed(6);
    var grid = gridAt(lng, lat);
    if (grid && areaSelect) {
      var option = areaSelect.querySelector('option[data-code="' + grid.code + '"]');
      if (option) { areaSelect.value = option.value; }
    }
    if (statusEl) {
      statusEl.textContent = (statusEl.dataset.setText || "") + " " + lng.toFixed(5) + ", " + lat.toFixed(5) +
        (grid ? " · " + grid.name : "");
      statusEl.classList.remove("text-secondary", "text-danger");
      statusEl.classList.add("text-success");
    }
    if (map) {
      var ll = L.latLng(lat, lng);
      if (!marker) {
        marker = L.circleMarker(ll, { radius: 10, color: "#b71c1c", weight: 3, fillColor: "#e63946", fillOpacity: 0.6 }).addTo(map);
      } else { marker.setLatLng(ll); }
    }
    mapEl && mapEl.setAttribute("data-point", lng.toFixed(6) + "," + lat.toFixed(6));
    if (announce) { document.body.dispatchEvent(new CustomEvent("cg:located")); }
  }

  if (mapEl && window.L) {
    var mapOptions = { attributionControl: false, zoomSnap: 0.25, preferCanvas: true };
    // The base layer (core/basemap.js): tiles, or roads, buildings and names; clicks stay WGS 84.
    map = L.map(mapEl, window.cgBaseMap ? cgBaseMap.mapOptions(mapOptions) : mapOptions);
    var base = window.cgBaseMap ? cgBaseMap(map, cgBaseMap.optionsFrom(mapEl)) : null;
    var urls = (mapEl.dataset.urls || "").split(" ").filter(Boolean);
    Promise.all(urls.map(function (u) {
      return fetch(u, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
    })).then(function (collections) {
      collections.forEach(function (c) { features = features.concat(c.features || []); });
      var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        interactive: false,
        style: { color: "#e76f51", weight: 1.5, fillColor: "#e76f51", fillOpacity: 0.12 }
      }).addTo(map);
      if (base) { base.addLabels(features); }
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [6, 6] }); } else { map.setView([32.0, 120.9], 13); }
      mapEl.dataset.features = String(features.length);
      mapEl.classList.add("cg-map-ready");
      if (lngInput.value && latInput.value) { setPoint(parseFloat(latInput.value), parseFloat(lngInput.value), false); }
    }).catch(function () {
      mapEl.classList.add("cg-map-failed");
      mapEl.innerHTML = '<div class="p-3 text-danger">' + (mapEl.dataset.errorText || "") + "</div>";
    });
    map.on("click", function (e) {
      setWgs84();
      setPoint(e.latlng.lat, e.latlng.lng, true);
    });
  }

  var locate = form.querySelector("[data-locate-me]");
  if (locate) {
    if (!("geolocation" in navigator)) { locate.hidden = true; }
    locate.addEventListener("click", function () {
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        locate.disabled = false;
        setWgs84();
        setPoint(pos.coords.latitude, pos.coords.longitude, true);
        if (map) { map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 16)); }
      }, function () {
        locate.disabled = false;
        if (statusEl) {
          statusEl.textContent = locate.dataset.errorText || "";
          statusEl.classList.remove("text-secondary", "text-success");
          statusEl.classList.add("text-danger");
        }
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // --- photos and files: one list from the camera and the file picker, with previews --------
  var main = document.getElementById("id_uploads");
  var previews = form.querySelector("[data-upload-previews]");
  var store = (typeof DataTransfer === "function") ? new DataTransfer() : null;
  function renderPreviews() {
    if (!previews || !main) { return; }
    previews.innerHTML = "";
    Array.prototype.forEach.call(main.files, function (file, index) {
      var li = document.createElement("li");
      li.className = "cg-preview";
      if (file.type.indexOf("image/") === 0) {
        var img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        img.addEventListener("load", function () { URL.revokeObjectURL(img.src); });
        li.appendChild(img);
      } else {
        var span = document.createElement("span");
        span.className = "cg-preview-file";
        span.textContent = file.name;
        li.appendChild(span);
      }
      if (store) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-danger cg-preview-remove";
        remove.setAttribute("aria-label", "×");
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          store.items.remove(index);
          main.files = store.files;
          renderPreviews();
        });
        li.appendChild(remove);
      }
      previews.appendChild(li);
    });
  }
  form.querySelectorAll("[data-upload]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (store && main) {
        Array.prototype.forEach.call(input.files, function (f) {
          var known = Array.prototype.some.call(store.files, function (g) {
            return g.name === f.name && g.size === f.size && g.lastModified === f.lastModified;
          });
          if (!known) { store.items.add(f); }
        });
        main.files = store.files;
        if (input !== main) { input.value = ""; }
      }
      renderPreviews();
    });
  });

  // --- parties: pick a registered person (实有人口) ---------------------------------------------
  // The search answers with buttons carrying the person's id and what the page may show
  // (the ID and phone masked); picking fills the row and keeps the id in a hidden field:
  // the server completes the blank particulars from the register.
  function pickSearch(box) {
    var query = box.querySelector("[data-pick-query]");
    var button = box.querySelector("[data-pick-search]");
    var results = box.querySelector("[data-pick-results]");
    var text = query.value.trim();
    if (!text) { results.innerHTML = ""; return; }
    // Only the latest search of the row may fill its list (an earlier, slower answer is dropped).
    var seq = String((parseInt(box.dataset.pickSeq || "0", 10) || 0) + 1);
    box.dataset.pickSeq = seq;
    button.disabled = true;
    fetch(button.dataset.url + "?q=" + encodeURIComponent(text),
          {headers: {"HX-Request": "true"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { if (box.dataset.pickSeq === seq) { results.innerHTML = html; } })
      .catch(function () {
        if (box.dataset.pickSeq !== seq) { return; }
        results.innerHTML = "";
        var failed = document.createElement("div");
        failed.className = "list-group-item text-danger small";
        failed.textContent = button.dataset.failed || "";
        results.appendChild(failed);
      })
      .then(function () { button.disabled = false; });
  }
  function setField(row, name, value) {
    var input = row.querySelector('[name$="-' + name + '"]');
    if (input && value !== undefined) { input.value = value; }
  }
  function pickEvent(event) {
    var row = event.target.closest("[data-party-row]");
    if (!row) { return false; }
    var box = row.querySelector("[data-party-pick]");
    if (!box) { return false; }
    if (event.target.closest("[data-pick-search]")) { pickSearch(box); return true; }
    var clear = event.target.closest("[data-pick-clear]");
    if (clear) {
      // Unpicking empties what the pick filled in, so that no particular of the person
      // stays in a row that no longer refers to them.
      setField(row, "registry_person", "");
      ["name", "sex", "age", "ethnicity", "occupation", "address"].forEach(function (n) {
        setField(row, n, "");
      });
      ["phone", "id_number"].forEach(function (n) {
        var input = row.querySelector('[name$="-' + n + '"]');
        if (input) { input.placeholder = ""; }
      });
      box.querySelector("[data-pick-chosen]").hidden = true;
      return true;
    }
    var pick = event.target.closest("[data-pick-person]");
    if (!pick) { return false; }
    var d = pick.dataset;
    setField(row, "registry_person", d.id);
    ["name", "sex", "age", "ethnicity", "occupation", "address"].forEach(function (n) {
      setField(row, n, d[n] || "");
    });
    [["phone", d.phoneMasked], ["id_number", d.idMasked]].forEach(function (pair) {
      var input = row.querySelector('[name$="-' + pair[0] + '"]');
      if (input) { input.value = ""; input.placeholder = pair[1] || ""; }
    });
    box.querySelector("[data-pick-results]").innerHTML = "";
    box.querySelector("[data-pick-query]").value = "";
    var chosen = box.querySelector("[data-pick-chosen]");
    chosen.querySelector("[data-pick-chosen-text]").textContent = d.chosen || "";
    chosen.hidden = false;
    return true;
  }
  form.addEventListener("keydown", function (event) {
    var query = event.target.closest && event.target.closest("[data-pick-query]");
    if (query && event.key === "Enter") {
      event.preventDefault();
      pickSearch(query.closest("[data-party-pick]"));
    }
  });

  // --- parties: add a row from the template, "remove" empties and hides a row -----------------
  var addParty = form.querySelector("[data-party-add]");
  var rows = form.querySelector("[data-party-rows]");
  var template = document.getElementById("party-template");
  if (addParty && rows && template) {
    var prefix = addParty.dataset.prefix;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    addParty.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { return; }
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
      total.value = String(index + 1);
      var row = rows.lastElementChild;
      var role = row.querySelector('select[name$="-role"]');
      if (role) { role.value = "other"; }
      var name = row.querySelector('input[name$="-name"]');
      if (name) { name.focus(); }
    });
    rows.addEventListener("click", function (event) {
      if (pickEvent(event)) { return; }
      var button = event.target.closest("[data-party-remove]");
      if (!button) { return; }
      var row = button.closest("[data-party-row]");
      row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      row.querySelectorAll('select:not([name$="-role"])').forEach(function (s) { s.value = ""; });
      row.hidden = true;
    });
  }
})();
