// Live character counters for long texts: a textarea with data-maxlength="4000" gets
// "123 / 4000" under it, and a warning (data-over-text, "{n}" = how many too many) when
// the text is longer. Nothing is cut: the server refuses a longer text with the limit.
// Works for pages and for htmx dialogs (initialised again after each swap).
(function () {
  "use strict";
  var seq = 0;

  function length(text) {
    // Characters as the server counts them (Python len: code points, not UTF-16 units).
    return Array.from(text).length;
  }

  function update(area) {
    var counter = document.getElementById(area.getAttribute("data-counter-id"));
    if (!counter) { return; }
    var max = parseInt(area.getAttribute("data-maxlength"), 10);
    var n = length(area.value);
    var over = n > max;
    counter.textContent = n + " / " + max + (over ? " · " +
      (area.getAttribute("data-over-text") || "").replace("{n}", String(n - max)) : "");
    counter.classList.toggle("text-danger", over);
    counter.classList.toggle("fw-bold", over);
    counter.classList.toggle("text-secondary", !over);
    // Announced only when it matters (not on every key).
    counter.setAttribute("aria-live", over ? "polite" : "off");
  }

  function init(root) {
    var areas = (root || document).querySelectorAll("textarea[data-maxlength]");
    Array.prototype.forEach.call(areas, function (area) {
      if (area.getAttribute("data-counter-id")) { update(area); return; }
      var counter = document.createElement("div");
      counter.id = "cg-counter-" + (++seq);
      counter.className = "form-hint cg-counter text-end small text-secondary";
      counter.setAttribute("data-counter", "");
      area.setAttribute("data-counter-id", counter.id);
      var described = area.getAttribute("aria-describedby");
      area.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
      area.insertAdjacentElement("afterend", counter);
      update(area);
    });
  }

  document.addEventListener("input", function (event) {
    var area = event.target;
    if (area && area.matches && area.matches("textarea[data-maxlength]")) { update(area); }
  });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
