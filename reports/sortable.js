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
})();
