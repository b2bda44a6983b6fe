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

// Tests: answers are autosaved through the portal (the API keeps them), the time left
// counts down, and at the deadline the answers are sent as they are.
(function testPage() {
  const form = document.querySelector("form.test-form[data-autosave-url]");
  if (!form) return;
  const status = form.querySelector(".autosave-status");
  const zone = form.dataset.zone;
  const clock = new Intl.DateTimeFormat("id-ID", { hour: "2-digit", minute: "2-digit", timeZone: zone });
  let timer = null;

  function save() {
    timer = null;
    const body = new FormData(form);
    body.delete("confirm_blank");
    return fetch(form.dataset.autosaveUrl, {
      method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      const time = clock.format(new Date()) + " " + form.dataset.zoneName;
      status.textContent = form.dataset.savedText.replace("{time}", time);
      status.dataset.saved = "true";
    }).catch(function () {
      status.textContent = form.dataset.failedText;
      status.dataset.saved = "false";
    });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);

  const countdown = document.querySelector(".countdown[data-deadline]");
  if (!countdown) return;
  const deadline = Date.parse(countdown.dataset.deadline);
  function tick() {
    const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    countdown.textContent = "(" + form.dataset.leftText.replace("{time}", minutes + ":" + seconds) + ")";
    if (left > 0) return;
    clearInterval(interval);
    countdown.textContent = form.dataset.timeUpText;
    const confirm = document.createElement("input");
    confirm.type = "hidden"; confirm.name = "confirm_blank"; confirm.value = "1";
    form.appendChild(confirm);
    form.submit();
  }
  const interval = setInterval(tick, 1000);
  tick();
})();
