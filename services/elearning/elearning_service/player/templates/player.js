(function () {
  "use strict";
  var cfg = window.CAKAP_PLAYER;
  var statusEl = document.getElementById("status");
  var frame = document.getElementById("content");
  var current = 0;
  var queue = Promise.resolve();
  var started = Date.now();

  function say(text) { statusEl.textContent = text; }

  // Commits go one after another: the server locks the attempt optimistically.
  function put(sco, values) {
    var run = function () { return send(sco, values, 0); };
    queue = queue.then(run, run);
    return queue;
  }

  function send(sco, values, retries) {
    if (!Object.keys(values).length) return Promise.resolve({ ok: true, state: null });
    return fetch(cfg.commitUrl + "?sco=" + encodeURIComponent(sco), {
      method: "PUT",
      keepalive: true,
      credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Launch-Token": cfg.launch },
      body: JSON.stringify(values)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) {
          say(body.attempt && body.attempt.completion === "completed" ? "Selesai" : "Tersimpan");
          return { ok: true, state: body.state, attempt: body.attempt };
        }
        if (r.status === 409 && retries < 2) return send(sco, values, retries + 1);
        if (r.status === 422 && body.errors && retries < 5) {
          // Keep what the server accepts: drop only the elements it named, send the rest.
          var rest = {};
          var dropped = false;
          Object.keys(values).forEach(function (k) {
            if (body.errors[k]) { dropped = true; } else { rest[k] = values[k]; }
          });
          if (dropped) {
            return send(sco, rest, retries + 1).then(function (res) {
              return { ok: false, detail: body.detail, state: res.state };
            });
          }
        }
        say("Gagal menyimpan (" + r.status + ")");
        return { ok: false, detail: body.detail || ("HTTP " + r.status) };
      });
    }, function () {
      say("Tidak tersambung; progres belum tersimpan");
      return { ok: false, detail: "network error" };
    });
  }

  // Messages count only when they come from the content frame or a frame inside it.
  function fromContent(source) {
    if (!frame || !source) return false;
    var w = source;
    for (var i = 0; i < 20 && w; i++) {
      if (w === frame.contentWindow) return true;
      var up = w.parent;
      if (up === w) return false;
      w = up;
    }
    return false;
  }

  window.addEventListener("message", function (ev) {
    var d = ev.data;
    if (!d || d.cakap !== "cmi-commit" || !fromContent(ev.source)) return;
    var known = cfg.items.some(function (it) { return it.identifier === d.sco; });
    if (!known || typeof d.values !== "object" || d.values === null) return;
    var values = {};
    Object.keys(d.values).forEach(function (k) { values[k] = String(d.values[k]); });
    put(d.sco, values).then(function (res) {
      try {
        ev.source.postMessage({ cakap: "cmi-result", sco: d.sco, seq: d.seq, ok: res.ok,
                                detail: res.detail || "", state: res.state || {} }, "*");
      } catch (e) { /* the frame went away */ }
    });
  });

  function show(index) {
    var item = cfg.items[index];
    if (!item) return;
    current = index;
    document.querySelectorAll("nav button").forEach(function (b) {
      b.setAttribute("aria-current", String(Number(b.dataset.index) === index));
    });
    if (frame) frame.src = item.url;
    if (item.type === "asset" && cfg.kind.indexOf("scorm") === 0) {
      put(item.identifier, { "progress.opened": "true" });
    }
  }

  document.querySelectorAll("nav button").forEach(function (b) {
    b.addEventListener("click", function () { show(Number(b.dataset.index)); });
  });

  function seconds() { return "PT" + Math.round((Date.now() - started) / 1000) + "S"; }

  if (cfg.kind === "pdf" || cfg.kind === "page") {
    var done = document.getElementById("done");
    frame.addEventListener("load", function () {
      if (frame.src === "about:blank") return;
      done.disabled = false;
      put("main", { "progress.opened": "true", "progress.session_time": seconds() });
    });
    done.addEventListener("click", function () {
      done.disabled = true;
      put("main", { "progress.confirmed": "true", "progress.session_time": seconds() });
    });
  }

  if (cfg.kind === "video") {
    var video = document.getElementById("video");
    var last = 0;
    var position = Number(cfg.items[0].state["progress.position"] || 0);
    video.addEventListener("loadedmetadata", function () {
      if (position > 0 && position < video.duration - 1) video.currentTime = position;
      put("main", { "progress.opened": "true" });
    });
    // The share watched is the union of played ranges, so seeking ahead does not count.
    function watched() {
      var sum = 0;
      for (var i = 0; i < video.played.length; i++) sum += video.played.end(i) - video.played.start(i);
      return video.duration ? Math.min(1, sum / video.duration) : 0;
    }
    function report() {
      put("main", { "progress.watched": watched().toFixed(3),
                    "progress.position": video.currentTime.toFixed(1),
                    "progress.session_time": seconds() });
    }
    video.addEventListener("timeupdate", function () {
      if (Date.now() - last > 10000) { last = Date.now(); report(); }
    });
    video.addEventListener("pause", report);
    video.addEventListener("ended", report);
  } else {
    show(0);
  }
})();
