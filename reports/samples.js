(function () {
  "use strict";
  // The sample browser. Its data is one gzip-compressed JSON blob of columns (see sample_page.py);
  // a page of items is built at a time, with textContent only, so a model's text is never markup.
  var RESULT_CLASS = ["correct", "incorrect", "parse-failure", "error"];
  var root = document.getElementById("samples");
  var names = JSON.parse(document.getElementById("subtask-names").textContent);
  var strips = JSON.parse(document.getElementById("sample-strips").textContent);
  var controls = {
    task: document.getElementById("filter-task"),
    subtask: document.getElementById("filter-subtask"),
    run: document.getElementById("filter-run"),
    result: document.getElementById("filter-result"),
    search: document.getElementById("filter-search"),
    sort: document.getElementById("sort"),
    size: document.getElementById("page-size")
  };
  var data = null;
  var haystack = null; // lower-cased searchable text per item, built on the first search
  var page = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function str(index) { return index === null || index === undefined || index < 0 ? null : data.strings[index]; }
  function option(select, value, label, title) {
    var node = el("option", null, label);
    node.value = String(value);
    if (title) { node.title = title; }
    select.appendChild(node);
  }
  // a text cut for the page links to its whole text, a file written beside the page
  function sidecar(href) {
    return typeof href === "string" && /^[A-Za-z0-9%._~-]+\/sample-[0-9]+-[a-z]+\.txt$/.test(href);
  }
  function withMore(node, key) {
    var cut = data.cut[key];
    if (cut && sidecar(cut[0])) {
      var more = el("span", "more", " \u2026 " + Number(cut[1] || 0).toLocaleString("en") + " more characters ");
      var link = el("a", null, "show all");
      link.href = cut[0];
      link.target = "_blank";
      link.rel = "noopener";
      more.appendChild(link);
      node.appendChild(more);
    }
    return node;
  }
  function subtaskLabel(name) {
    var entry = names[name];
    return entry && entry.short !== name ? entry.short + " (" + name + ")" : name;
  }

  function itemScore(i, run) {
    if (run !== "") { return data.answers[run].score[i]; }
    var sum = 0, n = 0;
    data.answers.forEach(function (a) { if (a.score[i] !== null) { sum += a.score[i]; n += 1; } });
    return n ? sum / n : null;
  }
  function matches(i, f) {
    var items = data.items;
    if (f.task !== "" && items.task[i] !== f.task) { return false; }
    if (f.subtask !== "" && items.subtask[i] !== f.subtask) { return false; }
    var runs = f.run === "" ? data.answers : [data.answers[f.run]];
    if (!runs.some(function (a) { return a.result[i] >= 0; })) { return false; }
    if (f.result === "disagree") {
      var seen = {};
      data.answers.forEach(function (a) { if (a.result[i] >= 0) { seen[a.result[i] === 0 ? "right" : "wrong"] = true; } });
      if (!(seen.right && seen.wrong)) { return false; }
    } else if (f.result !== "") {
      var wanted = Number(f.result);
      if (!runs.some(function (a) { return a.result[i] === wanted; })) { return false; }
    }
    if (f.search) {
      if (haystack === null) { buildHaystack(); }
      if (haystack[i].indexOf(f.search) < 0) { return false; }
    }
    return true;
  }
  function buildHaystack() {
    haystack = data.items.id.map(function (_, i) {
      var parts = [str(data.items.id[i]), str(data.items.question[i]), str(data.items.target[i])];
      data.answers.forEach(function (a) { parts.push(str(a.response[i]), str(a.extracted[i]), str(a.error[i])); });
      return parts.filter(function (p) { return p !== null; }).join("\n").toLowerCase();
    });
  }
  function filters() {
    return {
      task: controls.task.value === "" ? "" : Number(controls.task.value),
      subtask: controls.subtask.value === "" ? "" : Number(controls.subtask.value),
      run: controls.run.value === "" ? "" : Number(controls.run.value),
      result: controls.result.value,
      search: controls.search.value.trim().toLowerCase()
    };
  }
  function selection() {
    var f = filters();
    var chosen = [];
    for (var i = 0; i < data.items.id.length; i += 1) { if (matches(i, f)) { chosen.push(i); } }
    if (controls.sort.value) {
      var sign = controls.sort.value === "asc" ? 1 : -1;
      var scores = {};
      chosen.forEach(function (i) { scores[i] = itemScore(i, f.run); });
      chosen.sort(function (a, b) {
        var x = scores[a], y = scores[b];
        if (x === null || y === null) { return (x === null) - (y === null) || a - b; }
        return sign * (x - y) || a - b;
      });
    }
    return chosen;
  }

  function strip(index) {
    var s = strips[index];
    var box = el("div", "strip");
    (s.tiles || []).forEach(function (tile, k) {
      var frame = el("span", "frame" + (tile.marked ? " marked" : "") + (tile.clip_start ? " clip-start" : ""));
      if (typeof s.src === "string" && s.src.indexOf("data:image/jpeg;base64,") === 0) {
        frame.style.backgroundImage = "url(\"" + s.src + "\")";
      }
      frame.style.width = Number(s.width) + "px";
      frame.style.height = Number(s.height) + "px";
      frame.style.backgroundPosition = (-k * Number(s.width)) + "px 0";
      frame.title = tile.caption + (tile.marked ? " (perturbed)" : "");
      frame.setAttribute("role", "img");
      frame.setAttribute("aria-label", frame.title);
      box.appendChild(frame);
    });
    var wrap = el("div", "frames");
    wrap.appendChild(box);
    if (s.note) { wrap.appendChild(el("div", "strip-note", s.note)); }
    return wrap;
  }
  function question(i) {
    var text = str(data.items.question[i]) || "";
    var trimmed = text.replace(/^\s+/, "");
    // its first line of words (a jigsaw's "Clip 1:" labels, where the frames go, are skipped)
    var lines = trimmed.split("\n");
    var first = lines.filter(function (line) { return line.trim().split(/\s+/).length > 3; })[0] || lines[0];
    var box = el("details", "question");
    var summary = el("summary", null);
    summary.appendChild(el("span", "first-line", first));
    box.appendChild(summary);
    box.appendChild(withMore(el("div", "full", trimmed), "question:" + i));
    return box;
  }
  function answerRow(i, run) {
    var a = data.answers[run];
    var row = el("tr", a.result[i] >= 0 ? RESULT_CLASS[a.result[i]] : "missing");
    row.appendChild(el("th", "run", data.runs[run]));
    if (a.result[i] < 0) {
      var none = el("td", "none", "no answer in this run");
      none.colSpan = 4;
      row.appendChild(none);
      return row;
    }
    var extracted = withMore(el("td", "extracted", str(a.extracted[i])), "extracted:" + run + ":" + i);
    var raw = a.error[i] >= 0 ? withMore(el("td", "raw error", "error: " + str(a.error[i])), "error:" + run + ":" + i)
      : withMore(el("td", "raw", str(a.response[i])), "response:" + run + ":" + i);
    var result = el("td", "result", data.results[a.result[i]]);
    var score = el("td", "num score", a.score[i] === null ? "" : Number(a.score[i]).toFixed(2));
    row.appendChild(extracted);
    row.appendChild(raw);
    row.appendChild(result);
    row.appendChild(score);
    if (a.target[i] >= 0) { raw.appendChild(el("div", "own-target", "this run's target: " + str(a.target[i]))); }
    return row;
  }
  function card(i) {
    var items = data.items;
    var box = el("article", "item");
    var head = el("header", null);
    head.appendChild(el("span", "item-id", str(items.id[i])));
    head.appendChild(el("span", "item-task", data.tasks[items.task[i]]));
    var sub = data.subtasks[items.subtask[i]];
    var subNode = el("span", "item-subtask", subtaskLabel(sub));
    if (names[sub]) { subNode.title = names[sub].meaning; }
    head.appendChild(subNode);
    box.appendChild(head);
    box.appendChild(question(i));
    if (items.strip[i] >= 0) { box.appendChild(strip(items.strip[i])); }
    else if (items.hint[i] >= 0) { box.appendChild(el("div", "hint", str(items.hint[i]))); }
    var target = withMore(el("div", "target", null), "target:" + i);
    target.insertBefore(el("span", "target-label", "target: "), target.firstChild);
    target.insertBefore(document.createTextNode(str(items.target[i]) === null ? "-" : str(items.target[i])), target.firstChild.nextSibling);
    box.appendChild(target);
    var table = el("table", "answers");
    var header = el("tr", null);
    ["model", "extracted", "raw reply", "result", "score"].forEach(function (h) { header.appendChild(el("th", null, h)); });
    var thead = el("thead", null);
    thead.appendChild(header);
    table.appendChild(thead);
    var body = el("tbody", null);
    data.runs.forEach(function (_, run) { body.appendChild(answerRow(i, run)); });
    table.appendChild(body);
    box.appendChild(table);
    return box;
  }
  function pager(nav, total, pages) {
    while (nav.firstChild) { nav.removeChild(nav.firstChild); }
    function button(label, target, disabled) {
      var b = el("button", null, label);
      b.type = "button";
      b.disabled = disabled;
      b.addEventListener("click", function () { page = target; render(false); });
      nav.appendChild(b);
    }
    button("\u00ab first", 0, page === 0);
    button("\u2039 previous", page - 1, page === 0);
    nav.appendChild(el("span", "page-of", "page " + (pages ? page + 1 : 0) + " of " + pages + " \u00b7 " + total.toLocaleString("en") + " of " + data.items.id.length.toLocaleString("en") + " items"));
    button("next \u203a", page + 1, page >= pages - 1);
    button("last \u00bb", pages - 1, page >= pages - 1);
  }
  function render(reset) {
    if (reset) { page = 0; }
    var chosen = selection();
    var size = Number(controls.size.value) || 25;
    var pages = Math.ceil(chosen.length / size);
    page = Math.max(0, Math.min(page, pages - 1));
    while (root.firstChild) { root.removeChild(root.firstChild); }
    chosen.slice(page * size, page * size + size).forEach(function (i) { root.appendChild(card(i)); });
    if (!chosen.length) { root.appendChild(el("p", "empty", "no item matches these filters")); }
    pager(document.getElementById("pager-top"), chosen.length, pages);
    pager(document.getElementById("pager-bottom"), chosen.length, pages);
  }
  function start(columns) {
    data = columns;
    data.tasks.forEach(function (t, k) { option(controls.task, k, t); });
    data.subtasks.forEach(function (s, k) { option(controls.subtask, k, subtaskLabel(s), names[s] ? names[s].meaning : null); });
    data.runs.forEach(function (r, k) { option(controls.run, k, r); });
    [controls.task, controls.subtask, controls.run, controls.result, controls.sort, controls.size].forEach(function (c) {
      c.addEventListener("change", function () { render(true); });
    });
    var timer = null;
    controls.search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { render(true); }, 150);
    });
    render(true);
    root.setAttribute("data-ready", "1");
  }
  function fail(message) {
    while (root.firstChild) { root.removeChild(root.firstChild); }
    root.appendChild(el("p", "error", message));
  }
  var text = document.getElementById("sample-data").textContent.trim();
  if (typeof DecompressionStream === "undefined") {
    fail("this browser cannot unpack the samples (it lacks DecompressionStream); open the report in a current Chromium, Firefox or Safari");
    return;
  }
  var bytes = Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); });
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
    .then(function (json) { start(JSON.parse(json)); })
    .catch(function (error) { fail("the samples could not be unpacked: " + error); });
})();
