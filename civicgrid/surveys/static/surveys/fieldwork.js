// The call sheet and the questionnaires: small conveniences; the server decides everything.
(function () {
  "use strict";
  // A button with data-submit-confirm asks before its form is sent.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var msg = button && button.getAttribute("data-submit-confirm");
    if (msg && !window.confirm(msg)) { event.preventDefault(); }
  });

  // Recording an attempt: the callback time only matters for "callback".
  var callForm = document.querySelector(".cg-call-form");
  if (callForm) {
    var field = document.getElementById("callback-field");
    var sync = function () {
      var chosen = callForm.querySelector('input[name="code"]:checked');
      var show = chosen && chosen.value === "callback";
      var invalid = field && field.querySelector(".is-invalid");
      if (field) { field.hidden = !show && !invalid; }
    };
    callForm.addEventListener("change", sync);
    sync();
  }

  // A questionnaire: once a screening or stratification answer screens the respondent
  // out, the questions after it are hidden (the server drops their answers anyway).
  var questionnaire = document.querySelector(".cg-questionnaire");
  if (questionnaire) {
    var questions = Array.prototype.slice.call(questionnaire.querySelectorAll(".cg-question"));
    var note = questionnaire.querySelector(".cg-screened-note");
    var update = function () {
      var out = -1;
      questions.forEach(function (q, i) {
        if (out < 0 && q.hasAttribute("data-early")) {
          var checked = q.querySelector("input:checked");
          if (checked && checked.closest("[data-screen-out]")) { out = i; }
        }
      });
      questions.forEach(function (q, i) { q.hidden = out >= 0 && i > out; });
      if (note) { note.hidden = out < 0; }
    };
    questionnaire.addEventListener("change", update);
    update();
  }
})();
