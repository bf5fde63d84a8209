// Picking a registered person or organisation on the registry's forms (owner, lessor, head
// of household, new member): the search answers with buttons (data-pick-choice) carrying the
// record's id and name; picking keeps the id in the form's hidden field. No inline scripts
// (CSP script-src 'self').
(function () {
  "use strict";
  var latest = new WeakMap();

  function search(box) {
    var query = box.querySelector("[data-picker-query]");
    var button = box.querySelector("[data-picker-search]");
    var results = box.querySelector("[data-picker-results]");
    var text = query.value.trim();
    if (!text) { results.innerHTML = ""; return; }
    var ticket = {};
    latest.set(box, ticket);
    button.disabled = true;
    var url = button.dataset.url + (button.dataset.url.indexOf("?") < 0 ? "?" : "&") +
      "q=" + encodeURIComponent(text);
    fetch(url, {headers: {"HX-Request": "true"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { if (latest.get(box) === ticket) { results.innerHTML = html; } })
      .catch(function () {
        if (latest.get(box) !== ticket) { return; }
        results.textContent = "";
        var note = document.createElement("div");
        note.className = "list-group-item small text-danger";
        note.textContent = button.dataset.failed || "";
        results.appendChild(note);
      })
      .then(function () { button.disabled = false; });
  }

  document.addEventListener("click", function (event) {
    var box = event.target.closest("[data-picker]");
    if (!box) { return; }
    if (event.target.closest("[data-picker-search]")) { search(box); return; }
    var chosen = box.querySelector("[data-picker-chosen]");
    if (event.target.closest("[data-picker-clear]")) {
      box.querySelector("[data-picker-value]").value = "";
      chosen.hidden = true;
      return;
    }
    var pick = event.target.closest("[data-pick-choice]");
    if (!pick) { return; }
    box.querySelector("[data-picker-value]").value = pick.dataset.id;
    chosen.querySelector("[data-picker-chosen-text]").textContent = pick.dataset.name;
    chosen.hidden = false;
    box.querySelector("[data-picker-results]").innerHTML = "";
    box.querySelector("[data-picker-query]").value = "";
  });
  document.addEventListener("keydown", function (event) {
    var query = event.target.closest && event.target.closest("[data-picker-query]");
    if (query && event.key === "Enter") {
      event.preventDefault();
      search(query.closest("[data-picker]"));
    }
  });
})();
