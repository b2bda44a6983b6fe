// Back office behaviour (served from /static under the portal's script-src 'self').
(function () {
  "use strict";

  // The import progress bar: poll the job until it ends, then show the result page.
  var box = document.getElementById("progress");
  if (box) {
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("progress-bar");
    var count = document.getElementById("progress-count");
    var stage = document.getElementById("progress-stage");
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (!job) { setTimeout(poll, 3000); return; }
          if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
          bar.max = Math.max(job.rows_total, 1);
          bar.value = job.rows_done;
          count.textContent = job.rows_done + " / " + job.rows_total;
          stage.textContent = job.stage;
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 500);
  }

  // Charts: a <canvas data-chart="..."> carries its data as JSON in a data attribute.
  if (window.Chart) {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = JSON.parse(canvas.getAttribute("data-chart"));
      spec.options = spec.options || {};
      spec.options.responsive = true;
      spec.options.maintainAspectRatio = false;
      if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
        spec.options.animation = false;
      }
      new window.Chart(canvas, spec);
    });
  }
})();
