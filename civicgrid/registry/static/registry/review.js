// The review queue (registry/reviews.html): "全选本页" ticks every request listed, those
// loaded by "加载更多" included; ticking one by hand keeps the box in step. No inline
// scripts (CSP script-src 'self').
(function () {
  "use strict";
  function ticks() { return document.querySelectorAll("[data-review-tick]"); }
  function sync() {
    var all = document.querySelector("[data-review-all]");
    if (!all) { return; }
    var boxes = ticks(), on = 0;
    boxes.forEach(function (b) { if (b.checked) { on += 1; } });
    all.checked = boxes.length > 0 && on === boxes.length;
    all.indeterminate = on > 0 && on < boxes.length;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-review-all]")) {
      ticks().forEach(function (b) { b.checked = target.checked; });
    } else if (target.matches("[data-review-tick]")) {
      sync();
    }
  });
  document.addEventListener("htmx:afterSwap", sync);
})();
