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
})();
