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
      [s.run, s.task, s.subtask, s.id, s.question].forEach(function (v) { cell(row, v); });
      var preview = cell(row, "");
      (s.previews || []).forEach(function (uri) {
        if (uri.indexOf("data:image/jpeg;base64,") !== 0) { return; }
        var img = document.createElement("img");
        img.src = uri;
        img.alt = "frame";
        preview.appendChild(img);
      });
      cell(row, s.error ? "error: " + s.error : s.response);
      cell(row, s.extracted);
      cell(row, s.target);
      cell(row, s.score === null || s.score === undefined ? "" : Number(s.score).toFixed(2)).className = s.correct ? "correct" : "wrong";
      body.appendChild(row);
      shown += 1;
    });
    document.getElementById("sample-count").textContent = shown + " of " + samples.length + " samples";
  }
  [taskSelect, subSelect, correctSelect].forEach(function (select) { select.addEventListener("change", render); });
  render();
})();
