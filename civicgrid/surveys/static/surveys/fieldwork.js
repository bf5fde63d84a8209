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
    var quotaUrl = questionnaire.getAttribute("data-quota-url");
    var quotaNote = questionnaire.querySelector(".cg-quota-note");
    var quotaFull = false;
    var answer = function (part) {
      var q = questionnaire.querySelector('[data-cell-part="' + part + '"]');
      var checked = q && q.querySelector("input:checked");
      return checked ? checked.value : "";
    };
    var update = function () {
      var out = -1;
      var lastEarly = -1;
      questions.forEach(function (q, i) {
        if (q.hasAttribute("data-early")) { lastEarly = i; }
        if (out < 0 && q.hasAttribute("data-early")) {
          var checked = q.querySelector("input:checked");
          if (checked && checked.closest("[data-screen-out]")) { out = i; }
        }
      });
      // A full quota ends the interview after the screening and stratification questions.
      if (out < 0 && quotaFull) { out = lastEarly; }
      questions.forEach(function (q, i) { q.hidden = out >= 0 && i > out; });
      if (note) { note.hidden = out < 0 || quotaFull; }
    };
    // Once the sex and age are known, ask the server whether their quota is full.
    var askQuota = function () {
      var sex = answer("sex");
      var age = answer("age");
      if (!quotaUrl || !quotaNote || !sex || !age) { return; }
      fetch(quotaUrl + "?sex=" + encodeURIComponent(sex) + "&age=" + encodeURIComponent(age),
            {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          quotaNote.innerHTML = html;
          quotaFull = html.indexOf("quota-full") >= 0;
          update();
        })
        .catch(function () { /* offline: the server decides on submit */ });
    };
    questionnaire.addEventListener("change", function (event) {
      update();
      if (event.target.closest("[data-cell-part]")) { askQuota(); }
    });
    update();
    askQuota();
  }
})();
