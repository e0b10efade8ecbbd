(function () {
  "use strict";
  // sortable tables: click a header to sort by its column (numbers by data-value, else text)
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      th.addEventListener("click", function () {
        var ascending = !th.classList.contains("sorted-asc");
        table.querySelectorAll("thead th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index], y = b.cells[index];
          var vx = x.getAttribute("data-value"), vy = y.getAttribute("data-value");
          var nx = vx === null || vx === "" ? NaN : parseFloat(vx), ny = vy === null || vy === "" ? NaN : parseFloat(vy);
          var order;
          if (!isNaN(nx) || !isNaN(ny)) {
            order = (isNaN(nx) ? -Infinity : nx) - (isNaN(ny) ? -Infinity : ny);
          } else {
            order = x.textContent.localeCompare(y.textContent);
          }
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

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
