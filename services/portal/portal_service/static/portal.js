// Cakap portal: small progressive enhancements; every page works without this file.
"use strict";

document.documentElement.classList.add("js");

// Phones: the main menu folds behind one button so the header stays one line.
(function menuToggle() {
  const toggle = document.querySelector(".menu-toggle");
  const area = document.getElementById("menu-utama");
  if (!toggle || !area) return;
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    area.classList.toggle("open", open);
  });
})();

// Phones: tables are shown as cards; each cell is labelled with its column heading.
(function labelCells() {
  document.querySelectorAll("table").forEach(function (table) {
    // A heading only screen readers see (e.g. "Aksi" over buttons) labels nothing.
    const headings = Array.from(table.querySelectorAll("thead th")).map(function (th) {
      return th.querySelector(".sr-only") ? "" : th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.from(row.children).forEach(function (cell, i) {
        if (headings[i] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", headings[i]);
        }
      });
    });
  });
})();
