// The export form: a profile belongs to one kind of record, so picking a kind shows only
// its profiles (the first one chosen) and picking a profile ticks its kind. Without
// script the server refuses a profile of another kind. No inline scripts (CSP).
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=export-form]");
  if (!form) { return; }
  var kinds = JSON.parse(form.dataset.profileKinds || "{}");
  var select = form.querySelector("select[name=profile]");
  var radios = form.querySelectorAll("input[name=kind]");
  if (!select) { return; }

  function show(kind, keep) {
    var first = null;
    Array.prototype.forEach.call(select.options, function (option) {
      var mine = kinds[option.value] === kind;
      option.hidden = !mine;
      option.disabled = !mine;
      if (mine && !first) { first = option; }
    });
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
      group.hidden = !group.querySelector("option:not([disabled])");
    });
    if (!(keep && kinds[select.value] === kind) && first) { select.value = first.value; }
  }

  Array.prototype.forEach.call(radios, function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) { show(radio.value, false); } });
  });
  var checked = form.querySelector("input[name=kind]:checked");
  if (checked) { show(checked.value, true); }
})();
