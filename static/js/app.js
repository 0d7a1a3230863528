/* workqueue screens: keyboard shortcuts, row cursor and selection, bulk-action bar.
 * Loaded on every page; everything here is progressive: the pages work without it.
 *   n        Get next (the first Get next button on the page)
 *   j / k    move the row cursor down / up in a worklist
 *   Enter    open the item under the cursor
 *   x        select / unselect the row under the cursor (supervisors)
 *   /        jump to the filters
 */
(function () {
  "use strict";

  var cursor = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-rows] tr[data-href]"));
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function moveCursor(delta) {
    var all = rows();
    if (!all.length) { return; }
    if (cursor >= 0 && all[cursor]) { all[cursor].classList.remove("cursor"); all[cursor].removeAttribute("aria-current"); }
    cursor = Math.max(0, Math.min(all.length - 1, cursor + delta));
    var row = all[cursor];
    row.classList.add("cursor");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
    var status = document.querySelector("[data-cursor-status]");
    if (status) { status.textContent = "Row " + (cursor + 1) + " of " + all.length + ": " + (row.getAttribute("data-label") || ""); }
  }

  function updateSelection() {
    var boxes = document.querySelectorAll(".row-select");
    var count = 0;
    boxes.forEach(function (box) {
      var row = box.closest("tr");
      if (row) { row.classList.toggle("selected", box.checked); }
      if (box.checked) { count += 1; }
    });
    document.querySelectorAll("[data-selected-count]").forEach(function (el) {
      el.textContent = count + " selected";
    });
    document.querySelectorAll("[data-needs-selection]").forEach(function (el) {
      el.disabled = count === 0;
    });
  }

  function showBulkFields() {
    var select = document.querySelector("[data-bulk-action]");
    if (!select) { return; }
    document.querySelectorAll("[data-bulk-field]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk-field") !== select.value;
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "n") {
      var next = document.querySelector("[data-hotkey='n']");
      if (next) { event.preventDefault(); next.click(); }
    } else if (key === "j" || key === "k") {
      if (rows().length) { event.preventDefault(); moveCursor(key === "j" ? 1 : -1); }
    } else if (key === "Enter") {
      var tag = event.target.tagName ? event.target.tagName.toLowerCase() : "";
      if (tag === "a" || tag === "button") { return; }
      var row = rows()[cursor];
      if (row) { event.preventDefault(); window.location.assign(row.getAttribute("data-href")); }
    } else if (key === "x") {
      var current = rows()[cursor];
      var box = current && current.querySelector(".row-select");
      if (box) { event.preventDefault(); box.checked = !box.checked; updateSelection(); }
    } else if (key === "/") {
      var first = document.querySelector("[data-filter-form] select, [data-filter-form] input:not([type=hidden])");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll(".row-select").forEach(function (box) { box.checked = target.checked; });
      updateSelection();
    } else if (target.matches(".row-select")) {
      updateSelection();
    } else if (target.matches("[data-bulk-action]")) {
      showBulkFields();
    }
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest("[data-rows] tr[data-href]");
    if (!row) { return; }
    var index = rows().indexOf(row);
    if (index >= 0 && index !== cursor) { moveCursor(index - cursor); }
  });

  function ready() { cursor = -1; updateSelection(); showBulkFields(); }
  document.addEventListener("DOMContentLoaded", ready);
  document.addEventListener("htmx:afterSwap", ready);
})();
