// Case page: the mini map, the action modal (forms loaded with htmx), small form helpers.
(function () {
  "use strict";

  // --- mini map: the grid's outline and the reported point -------------------------------
  var mapEl = document.querySelector("[data-case-map]");
  var dataEl = document.getElementById("case-map-data");
  if (mapEl && dataEl && window.L) {
    try {
      var data = JSON.parse(dataEl.textContent);
      var mapOptions = { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false };
      var map = L.map(mapEl, window.cgBaseMap ? cgBaseMap.mapOptions(mapOptions) : mapOptions);
      if (window.cgBaseMap) { cgBaseMap(map, data.layers || {}); }  // roads, buildings, names
      var outline = data.boundary ? L.geoJSON(data.boundary, {
        interactive: false, style: { color: "#e76f51", weight: 2, fillColor: "#e76f51", fillOpacity: 0.1 }
      }) : null;
      var point = (data.lat !== null && data.lng !== null && data.lat !== undefined) ? L.latLng(data.lat, data.lng) : null;
      var bounds = outline ? outline.getBounds() : null;
      if (bounds && bounds.isValid()) {
        if (point) { bounds.extend(point); }
        map.fitBounds(bounds, { padding: [10, 10] });
      } else if (point) {
        map.setView(point, 16);
      } else {
        map.setView([32.0, 120.9], 12);
      }
      if (outline) { outline.addTo(map); }
      if (point) {
        L.circleMarker(point, { radius: 9, color: "#b71c1c", weight: 3, fillColor: "#e63946", fillOpacity: 0.7 }).addTo(map);
      }
      mapEl.classList.add("cg-map-ready");
    } catch (e) {
      mapEl.innerHTML = '<div class="p-3 text-danger">' + (mapEl.dataset.errorText || "") + "</div>";
    }
  }

  // --- action modal -----------------------------------------------------------------------
  var modal = document.getElementById("action-modal");
  var content = document.getElementById("action-modal-content");
  var spinner = content ? content.innerHTML : "";
  if (modal && content) {
    modal.addEventListener("hidden.bs.modal", function () { content.innerHTML = spinner; });
  }
  function showError(target) {
    var text = (content && content.dataset.errorText) || "Error";
    if (target === content) {
      content.innerHTML = '<div class="modal-body"><div class="alert alert-danger mb-0" role="alert" data-testid="action-error"></div></div>' +
        '<div class="modal-footer"><button type="button" class="btn" data-bs-dismiss="modal"></button></div>';
      content.querySelector(".alert").textContent = text;
      content.querySelector(".modal-footer .btn").textContent = "×";
    } else if (target) {
      var div = document.createElement("div");
      div.className = "text-danger small";
      div.textContent = text;
      target.appendChild(div);
    }
  }
  document.body.addEventListener("htmx:responseError", function (event) { showError(event.detail.target); });
  document.body.addEventListener("htmx:sendError", function (event) { showError(event.detail.target); });

  // --- helpers inside the action forms ----------------------------------------------------
  function setup(root) {
    // 办结: the agreement fields only with "制作人民调解协议书", which needs 调解成功.
    var toggle = root.querySelector("[data-agreement-toggle]");
    var outcome = root.querySelector("[data-outcome]");
    var fields = root.querySelector("[data-agreement-fields]");
    if (toggle && fields) {
      var sync = function () {
        var mediated = !outcome || outcome.value === "mediated";
        var wrapper = toggle.closest(".cg-check") || toggle.parentElement;
        if (wrapper) { wrapper.hidden = !mediated; }
        if (!mediated) { toggle.checked = false; }
        fields.hidden = !toggle.checked;
      };
      toggle.addEventListener("change", sync);
      if (outcome) { outcome.addEventListener("change", sync); }
      sync();
    }
    // 对接: only the receiving units of the chosen kind.
    var kind = root.querySelector("[data-handoff-kind]");
    var units = root.querySelector("[data-handoff-units]");
    if (kind && units) {
      var map = {};
      try { map = JSON.parse(kind.getAttribute("data-handoff-kind") || "{}"); } catch (e) { map = {}; }
      var all = Array.prototype.slice.call(units.options).map(function (o) { return o.cloneNode(true); });
      var filter = function () {
        var wanted = map[kind.value];
        var current = units.value;
        while (units.options.length) { units.remove(0); }
        all.forEach(function (o) {
          if (!o.value || !wanted || o.dataset.kind === wanted) { units.appendChild(o.cloneNode(true)); }
        });
        units.value = current;
        if (units.value !== current) { units.value = ""; }
      };
      kind.addEventListener("change", filter);
      filter();
    }
    var first = root.querySelector("form input:not([type=hidden]):not([type=radio]), form textarea, form select");
    if (first && window.matchMedia("(pointer: fine)").matches) { first.focus(); }
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === content) { setup(content); }
  });
  var page = document.querySelector(".cg-action-page");
  if (page) { setup(page); }
})();
