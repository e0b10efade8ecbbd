(function () {
  "use strict";
  // sample browser: rows built with textContent only, so a model's text is never markup
  var samples = JSON.parse(document.getElementById("sample-data").textContent);
  var taskSelect = document.getElementById("filter-task");
  var subSelect = document.getElementById("filter-subtask");
  var correctSelect = document.getElementById("filter-correct");
  function options(select, values) {
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    });
  }
  function unique(key) {
    return samples.map(function (s) { return s[key]; }).filter(function (v, i, all) { return all.indexOf(v) === i; }).sort();
  }
  options(taskSelect, unique("task"));
  options(subSelect, unique("subtask"));
  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
    return td;
  }
  // a text cut for the page (see "hidden") links to its whole text, a file written beside the page
  function sidecar(href) {
    return typeof href === "string" && /^[A-Za-z0-9%._~-]+\/sample-[0-9]+-[a-z]+\.txt$/.test(href);
  }
  function textCell(row, s, field, text) {
    var td = cell(row, text);
    var full = (s.full || {})[field];
    if (sidecar(full)) {
      var more = document.createElement("span");
      more.className = "more";
      more.textContent = " \u2026 " + Number((s.hidden || {})[field] || 0).toLocaleString("en") + " more characters ";
      var link = document.createElement("a");
      link.href = full;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "show all";
      more.appendChild(link);
      td.appendChild(more);
    }
    return td;
  }
  function render() {
    var body = document.querySelector("#samples tbody");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var shown = 0;
    samples.forEach(function (s) {
      if (taskSelect.value && s.task !== taskSelect.value) { return; }
      if (subSelect.value && s.subtask !== subSelect.value) { return; }
      if (correctSelect.value === "yes" && !s.correct) { return; }
      if (correctSelect.value === "no" && s.correct) { return; }
      var row = document.createElement("tr");
      [s.run, s.task, s.subtask, s.id].forEach(function (v) { cell(row, v); });
      textCell(row, s, "question", s.question);
      var preview = cell(row, "");
      (s.previews || []).forEach(function (uri) {
        if (typeof uri !== "string" || uri.indexOf("data:image/jpeg;base64,") !== 0) { return; }
        var img = document.createElement("img");
        img.src = uri;
        img.alt = "frame";
        preview.appendChild(img);
      });
      if (s.previews_unavailable) {
        var note = document.createElement("span");
        note.className = "unavailable";
        note.textContent = "preview unavailable";
        note.title = "frames outside the run's dataset folder, or unreadable, are not shown";
        preview.appendChild(note);
      }
      if (s.error) { textCell(row, s, "error", "error: " + s.error); } else { textCell(row, s, "response", s.response); }
      textCell(row, s, "extracted", s.extracted);
      textCell(row, s, "target", s.target);
      cell(row, s.score === null || s.score === undefined ? "" : Number(s.score).toFixed(2)).className = s.correct ? "correct" : "wrong";
      body.appendChild(row);
      shown += 1;
    });
    document.getElementById("sample-count").textContent = shown + " of " + samples.length + " samples";
  }
  [taskSelect, subSelect, correctSelect].forEach(function (select) { select.addEventListener("change", render); });
  render();
})();
