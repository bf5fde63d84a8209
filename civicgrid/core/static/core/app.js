// civicgrid page glue. No inline scripts anywhere (Content-Security-Policy: script-src 'self').
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  // htmx requests carry the CSRF token from the page (the cookie is HttpOnly in production).
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
  // Elements with data-confirm ask before submitting.
  document.addEventListener("submit", function (event) {
    var msg = event.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { event.preventDefault(); }
  });
  // Signing out clears what this site kept in the browser (Clear-Site-Data), the offline
  // app's outbox included (civicgrid/field): when it still holds unsent items, ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var msg = form.getAttribute("data-unsent-confirm");
    if (!msg || form.dataset.asked || !window.indexedDB || !indexedDB.databases) { return; }
    event.preventDefault();
    var go = function () { form.dataset.asked = "1"; form.submit(); };
    indexedDB.databases().then(function (list) {
      if (!list.some(function (d) { return d.name === "cg-field"; })) { return go(); }
      var open = indexedDB.open("cg-field");
      open.onerror = go;
      open.onsuccess = function () {
        var db = open.result;
        if (!db.objectStoreNames.contains("outbox")) { db.close(); return go(); }
        var all = db.transaction("outbox").objectStore("outbox").getAll();
        all.onerror = function () { db.close(); go(); };
        all.onsuccess = function () {
          db.close();
          var unsent = all.result.filter(function (i) {
            return ["accepted", "attached", "conflict"].indexOf(i.state) === -1;
          });
          if (!unsent.length || window.confirm(msg)) { go(); }
        };
      };
    }, go);
  });
})();
// Area tree: a toggle loads its children once (htmx), then shows or hides them.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-tree-toggle]");
  if (!toggle) { return; }
  var slot = toggle.parentElement.querySelector(".cg-tree-slot");
  var open = toggle.getAttribute("aria-expanded") === "true";
  toggle.setAttribute("aria-expanded", open ? "false" : "true");
  if (slot && slot.children.length) { slot.hidden = open; }
});
document.body.addEventListener("htmx:afterSwap", function (event) {
  var slot = event.detail.target;
  if (slot.classList && slot.classList.contains("cg-tree-slot")) {
    var toggle = slot.parentElement.querySelector("[data-tree-toggle]");
    if (toggle) { toggle.setAttribute("aria-expanded", "true"); }
  }
});
