// The Lapor Gub report page (staff): drag rectangles on a photo to black them out in the
// public copy, replace selected text with "[disamarkan]", and put an answer template's text
// into the answer. Without JavaScript the same forms work: number inputs for the areas (in
// pixels of the stored photo) and a template menu the server reads. No inline script or
// style attribute (the CSP forbids them); positions are set through the CSSOM.
"use strict";
(function () {
  var MIN_SIZE = 3; // pixels of the photo: smaller drags are clicks, not areas

  function inputs(row) { return Array.prototype.slice.call(row.querySelectorAll("input[type=number]")); }

  function isBlank(row) {
    return inputs(row).every(function (input) { return input.value.trim() === ""; });
  }

  function boxesOf(rows) {
    var found = [];
    Array.prototype.forEach.call(rows.querySelectorAll("tr"), function (row) {
      var values = inputs(row).map(function (input) { return Number(input.value); });
      if (values.length === 4 && !isBlank(row) && values.every(isFinite) && values[2] > 0 && values[3] > 0) {
        found.push({ x: values[0], y: values[1], w: values[2], h: values[3] });
      }
    });
    return found;
  }

  function addClearButton(row, redraw) {
    var cell = document.createElement("td");
    cell.style.padding = ".25rem";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "linklike";
    button.textContent = "×";
    button.setAttribute("aria-label", document.documentElement.lang === "en" ? "Clear this area" : "Hapus area ini");
    button.addEventListener("click", function () {
      inputs(row).forEach(function (input) { input.value = ""; });
      redraw();
    });
    cell.appendChild(button);
    row.appendChild(cell);
  }

  function setUp(fieldset) {
    var canvas = fieldset.querySelector("[data-redact-canvas]");
    var image = fieldset.querySelector("[data-redact-image]");
    var rows = fieldset.querySelector("[data-redact-rows]");
    if (!canvas || !image || !rows) { return; }
    var width = Number(fieldset.getAttribute("data-width"));
    var height = Number(fieldset.getAttribute("data-height"));
    var layer = document.createElement("div");
    var live = null, start = null;

    canvas.style.position = "relative";
    image.style.cursor = "crosshair";
    image.style.touchAction = "none";
    image.style.userSelect = "none";
    layer.setAttribute("aria-hidden", "true");
    canvas.appendChild(layer);

    function scale() {
      return { x: image.clientWidth / width, y: image.clientHeight / height };
    }

    function place(element, box) {
      var s = scale();
      element.style.position = "absolute";
      element.style.left = (image.offsetLeft + image.clientLeft + box.x * s.x) + "px";
      element.style.top = (image.offsetTop + image.clientTop + box.y * s.y) + "px";
      element.style.width = Math.max(1, box.w * s.x) + "px";
      element.style.height = Math.max(1, box.h * s.y) + "px";
    }

    function overlay() {
      var element = document.createElement("div");
      element.style.background = "rgba(0, 0, 0, 0.8)";
      element.style.outline = "2px solid #f2a900";
      element.style.pointerEvents = "none";
      return element;
    }

    function redraw() {
      layer.textContent = "";
      boxesOf(rows).forEach(function (box) {
        var element = overlay();
        place(element, box);
        layer.appendChild(element);
      });
    }

    function point(event) {
      var rect = image.getBoundingClientRect(), s = scale();
      var x = (event.clientX - rect.left - image.clientLeft) / s.x;
      var y = (event.clientY - rect.top - image.clientTop) / s.y;
      return { x: Math.min(Math.max(x, 0), width), y: Math.min(Math.max(y, 0), height) };
    }

    function boxFrom(a, b) {
      return { x: Math.round(Math.min(a.x, b.x)), y: Math.round(Math.min(a.y, b.y)),
        w: Math.round(Math.abs(a.x - b.x)), h: Math.round(Math.abs(a.y - b.y)) };
    }

    function store(box) {
      var row = null;
      Array.prototype.some.call(rows.querySelectorAll("tr"), function (candidate) {
        if (isBlank(candidate)) { row = candidate; return true; }
        return false;
      });
      if (!row) {
        var last = rows.querySelector("tr:last-child");
        row = last.cloneNode(true);
        inputs(row).forEach(function (input) { input.value = ""; });
        var extra = row.querySelector("td:last-child button");
        if (extra) { extra.parentNode.parentNode.removeChild(extra.parentNode); }
        rows.appendChild(row);
        addClearButton(row, redraw);
      }
      var values = [box.x, box.y, box.w, box.h];
      inputs(row).forEach(function (input, i) { input.value = String(values[i]); });
    }

    image.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      event.preventDefault();
      start = point(event);
      live = overlay();
      layer.appendChild(live);
      place(live, { x: start.x, y: start.y, w: 0, h: 0 });
      if (image.setPointerCapture) { image.setPointerCapture(event.pointerId); }
    });
    image.addEventListener("pointermove", function (event) {
      if (start) { place(live, boxFrom(start, point(event))); }
    });
    function finish(event) {
      if (!start) { return; }
      var box = boxFrom(start, point(event));
      start = null;
      if (box.w >= MIN_SIZE && box.h >= MIN_SIZE) { store(box); }
      redraw();
    }
    image.addEventListener("pointerup", finish);
    image.addEventListener("pointercancel", function () { start = null; redraw(); });
    image.addEventListener("dragstart", function (event) { event.preventDefault(); });
    rows.addEventListener("input", redraw);
    Array.prototype.forEach.call(rows.querySelectorAll("tr"), function (row) { addClearButton(row, redraw); });
    var table = rows.parentNode, head = fieldset.querySelector("table thead tr");
    table.style.tableLayout = "fixed"; // equal columns, so narrow phones still show the numbers
    table.style.width = "100%";
    Array.prototype.forEach.call(table.querySelectorAll("th, td"), function (cell) { cell.style.padding = ".25rem"; });
    Array.prototype.forEach.call(table.querySelectorAll("input"), function (input) { input.style.padding = ".4rem .3rem"; });
    if (head) {
      var clear = document.createElement("th");
      clear.style.width = "2.5rem";
      head.appendChild(clear);
    }
    if (image.complete) { redraw(); } else { image.addEventListener("load", redraw); }
    window.addEventListener("resize", redraw);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-redact]"), setUp);

  // Replace the selected words of the public text with the redaction mark.
  Array.prototype.forEach.call(document.querySelectorAll("[data-redact-text]"), function (button) {
    var area = document.getElementById(button.getAttribute("data-redact-text"));
    if (!area || typeof area.setRangeText !== "function") { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var from = area.selectionStart, to = area.selectionEnd;
      if (from !== to) {
        area.setRangeText(button.getAttribute("data-mark") || "[disamarkan]", from, to, "end");
      }
      area.focus();
    });
  });

  // Choosing an answer template puts its text into the answer (appended to what is there).
  var menu = document.getElementById("template_id");
  var answer = document.getElementById("answer_text");
  if (menu && answer) {
    menu.addEventListener("change", function () {
      var template = document.querySelector("template[data-answer-template='" + menu.value + "']");
      if (!template) { return; }
      var text = template.content.textContent.trim();
      answer.value = answer.value.trim() ? answer.value.replace(/\s+$/, "") + "\n\n" + text : text;
      answer.focus();
    });
  }
})();
