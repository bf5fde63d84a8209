// Weekly check form: ticking "zero report" clears and locks the counts (they are 0 by
// definition); unticking unlocks them. Without JavaScript the server checks the same rule.
(function () {
  "use strict";
  var form = document.querySelector("[data-check-form]");
  if (!form) { return; }
  var zero = form.querySelector("[data-zero-report]");
  var counts = form.querySelectorAll("[data-check-count]");
  var box = form.querySelector(".cg-zero");
  function sync() {
    counts.forEach(function (input) {
      if (zero.checked) { input.value = ""; }
      input.disabled = zero.checked;
    });
    if (box) { box.classList.toggle("cg-zero-on", zero.checked); }
    var fieldset = form.querySelector("[data-counts]");
    if (fieldset) { fieldset.classList.toggle("cg-counts-off", zero.checked); }
  }
  zero.addEventListener("change", sync);
  sync();
})();
