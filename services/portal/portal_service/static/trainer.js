// Upload with a progress bar: a 200 MB package over a slow office link shows how far it is.
// The form still works without JavaScript (a plain multipart POST).
(function () {
  "use strict";
  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !window.FormData) { return; }
      event.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = box.querySelector("progress");
      var status = box.querySelector(".upload-status");
      var button = form.querySelector("button[type=submit]");
      box.hidden = false;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = bar.value + "% (" + mb(e.loaded) + " / " + mb(e.total) + ")";
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = 100;
        status.textContent = form.dataset.checking || "100% — memeriksa paket…";
      });
      xhr.addEventListener("load", function () {
        // The portal answers {"location"}: the page that tells how it went (its message
        // waits in the session until that page is opened).
        var target = form.action;
        try { target = JSON.parse(xhr.responseText).location || target; } catch (e) { /* keep */ }
        window.location.assign(target);
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        status.textContent = "Unggahan terputus. Periksa jaringan lalu coba lagi.";
      });
      xhr.send(new FormData(form));
    });
  });
})();
