(function () {
  "use strict";
  var cfg = window.CAKAP_PLAYER;
  var statusEl = document.getElementById("status");
  var frame = document.getElementById("content");
  var current = 0;
  var queue = Promise.resolve();
  var started = Date.now();
  var scorm = cfg.kind.indexOf("scorm") === 0;
  var shown = null;  // identifier of the item in the frame
  var unloadWaiters = [];
  var leaving = null;  // identifier of the item being taken away
  var busy = false;  // a navigation of the player's own is under way
  var stage = document.querySelector(".stage");
  // aria-busy tells assistive technology (and tests) that the lesson is being swapped.
  function setBusy(value) {
    busy = value;
    if (stage) stage.setAttribute("aria-busy", String(value));
  }
  var byId = {};
  cfg.items.forEach(function (it, i) { byId[it.identifier] = i; });
  var prevBtn = document.getElementById("prev");
  var nextBtn = document.getElementById("next");
  var exitBtn = document.getElementById("exit");
  var suspendBtn = document.getElementById("suspend-all");
  var exitAllBtn = document.getElementById("exit-all");
  // The notices that take the lesson's place once nothing is delivered.
  var notices = ["ended", "ended-early", "suspended", "choose"].map(function (id) {
    return document.getElementById(id);
  }).filter(Boolean);
  // The sequencing session ended or was suspended: leaving the page has nothing to keep.
  var sessionOver = false;

  function say(text) { statusEl.textContent = text; }

  // Commits go one after another: the server locks the attempt optimistically.
  function put(sco, values, finish) {
    var run = function () { return send(sco, values, 0, finish); };
    queue = queue.then(run, run);
    return queue;
  }

  function send(sco, values, retries, finish) {
    if (!Object.keys(values).length && !finish) return Promise.resolve({ ok: true, state: null });
    var url = cfg.commitUrl + "?sco=" + encodeURIComponent(sco) +
      (finish ? "&finish=" + encodeURIComponent(finish) : "");
    return fetch(url, {
      method: "PUT",
      keepalive: true,
      credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Launch-Token": cfg.launch },
      body: JSON.stringify(values)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) {
          say(body.attempt && body.attempt.completion === "completed" ? "Selesai" : "Tersimpan");
          if (cfg.sequenced && body.controls && !busy) { markToc(body.controls); setButtons(body.controls); }
          return { ok: true, state: body.state, attempt: body.attempt, navigation: body.navigation };
        }
        if (r.status === 409 && retries < 2) return send(sco, values, retries + 1, finish);
        if (r.status === 422 && body.errors && retries < 5) {
          // Keep what the server accepts: drop only the elements it named, send the rest.
          var rest = {};
          var dropped = false;
          Object.keys(values).forEach(function (k) {
            if (body.errors[k]) { dropped = true; } else { rest[k] = values[k]; }
          });
          if (dropped) {
            return send(sco, rest, retries + 1, finish).then(function (res) {
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

  // The content credential each item's frame was given (the path segment before
  // /content/): a message that carries it comes from that item's pages.
  function credentialOf(sco) {
    var i = byId[sco];
    if (i === undefined) return null;
    var m = /\/play\/[^/]+\/([^/]+)\/content\//.exec(cfg.items[i].url);
    return m ? m[1] : null;
  }

  window.addEventListener("message", function (ev) {
    var d = ev.data;
    if (!d || typeof d !== "object") return;
    // An unloading page's messages arrive without its window as source: the
    // credential, known only to the player and that frame, vouches for them instead.
    var vouched = typeof d.credential === "string" && d.credential === credentialOf(d.sco);
    if (!vouched && !fromContent(ev.source)) return;
    if (d.cakap === "sco-unloaded") {
      // Only the SCO's own page counts: pages framed inside it unload before it does,
      // and they have no runtime session of their own.
      if (!vouched || d.sco !== leaving) return;
      var waiting = unloadWaiters;
      unloadWaiters = [];
      waiting.forEach(function (done) { done(); });
      return;
    }
    if (d.cakap !== "cmi-commit") return;
    var known = cfg.items.some(function (it) { return it.identifier === d.sco; });
    if (!known || typeof d.values !== "object" || d.values === null) return;
    var values = {};
    Object.keys(d.values).forEach(function (k) { values[k] = String(d.values[k]); });
    var finish = typeof d.finish === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(d.finish) ? d.finish : "";
    put(d.sco, values, finish).then(function (res) {
      try {
        if (ev.source) {
          ev.source.postMessage({ cakap: "cmi-result", sco: d.sco, seq: d.seq, ok: res.ok,
                                  detail: res.detail || "", state: res.state || {} }, "*");
        }
      } catch (e) { /* the frame went away */ }
      // A SCO that terminated with adl.nav.request: the server sequenced, the player follows.
      if (res.navigation && !busy) applyNavigation(res.navigation);
    });
  });

  function markToc(controls) {
    document.querySelectorAll("nav button").forEach(function (b) {
      var state = controls && controls.items ? controls.items[b.dataset.id] : null;
      if (!state) return;
      // Once the course's attempt ended nothing can be chosen in it any more.
      b.disabled = !state.enabled || !!controls.ended;
      b.closest("li").hidden = state.hidden;
      b.classList.toggle("done", !!state.completed);
    });
  }

  function setButtons(controls) {
    if (!prevBtn) return;
    if (cfg.sequenced) {
      prevBtn.disabled = !(controls && controls.previous);
      nextBtn.disabled = !(controls && controls.continue);
      if (exitBtn) {
        exitBtn.disabled = !(controls && controls.exit);
        suspendBtn.disabled = !(controls && controls.suspendAll);
        exitAllBtn.disabled = !(controls && controls.exitAll);
      }
    } else {
      prevBtn.disabled = current <= 0;
      nextBtn.disabled = current >= cfg.items.length - 1;
    }
  }

  function show(index) {
    var item = cfg.items[index];
    if (!item) return;
    current = index;
    shown = item.identifier;
    notices.forEach(function (el) { el.hidden = true; });
    if (frame) frame.hidden = false;
    document.querySelectorAll("nav button").forEach(function (b) {
      b.setAttribute("aria-current", String(Number(b.dataset.index) === index));
    });
    if (frame) frame.src = item.url;
    if (!cfg.sequenced) setButtons(null);
    if (item.type === "asset" && scorm) {
      put(item.identifier, { "progress.opened": "true" });
    }
  }

  // Nothing is delivered now: the frame rests and one notice says why.
  function showNotice(id) {
    shown = null;
    if (frame) { frame.src = cfg.blankUrl; frame.hidden = true; }
    notices.forEach(function (el) { el.hidden = el.id !== id; });
  }

  function showEnded(attempt) {
    sessionOver = true;
    var completed = !attempt || attempt.completion === "completed";
    showNotice(completed || !cfg.sequenced ? "ended" : "ended-early");
    say(completed ? "Selesai" : "Sesi diakhiri");
  }

  // Take the current SCO away and wait until its last commit is stored, so the next
  // navigation is decided on what the learner actually did.
  function leaveCurrent() {
    if (!frame || !shown) return queue;
    try { frame.contentWindow.postMessage({ cakap: "cmi-navigating" }, "*"); } catch (e) { /* gone */ }
    return new Promise(function (resolve) {
      setTimeout(function () {
        var timer = setTimeout(resolve, 3000);
        unloadWaiters.push(function () { clearTimeout(timer); resolve(); });
        leaving = shown;
        shown = null;
        frame.src = cfg.blankUrl;
      }, 100);
    }).then(function () { return queue; });
  }

  function applyNavigation(nav) {
    markToc(nav.controls);
    setButtons(nav.controls);
    if (nav.deliver) {
      sessionOver = false;  // e.g. chosen again from the contents after Suspend All
      if (nav.deliver !== shown && byId[nav.deliver] !== undefined) show(byId[nav.deliver]);
    } else if (nav.ended && nav.controls && nav.controls.suspended) {
      sessionOver = true;
      showNotice("suspended");
      say("Tersimpan");
    } else if (nav.ended) {
      showEnded(nav.attempt);
    } else if (nav.error) {
      say("Navigasi ini tidak diizinkan oleh modul ini.");
      var back = nav.controls && nav.controls.current;
      if (!shown && back && byId[back] !== undefined) show(byId[back]);
    } else {
      // Exit (or abandon) ended this activity and nothing follows by itself: the
      // learner chooses where to go next.
      showNotice("choose");
      var toc = document.getElementById("toc");
      var toggle = document.getElementById("toc-toggle");
      if (toc) toc.classList.add("open");
      if (toggle) toggle.setAttribute("aria-expanded", "true");
    }
    return nav;
  }

  function request(kind, target) {
    return fetch(cfg.navigationUrl, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Launch-Token": cfg.launch },
      body: JSON.stringify(target ? { request: kind, target: target } : { request: kind })
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { say("Navigasi gagal (" + r.status + ")"); return null; }
        return body;
      });
    }, function () { say("Tidak tersambung"); return null; });
  }

  function navigate(kind, target) {
    if (busy) return Promise.resolve(null);
    setBusy(true);
    var leave = kind === "start" ? Promise.resolve() : leaveCurrent();
    return leave.then(function () { return request(kind, target); }).then(function (nav) {
      setBusy(false);
      return nav ? applyNavigation(nav) : null;
    }, function () { setBusy(false); });
  }

  function go(index) {
    if (busy || index < 0 || index >= cfg.items.length) return;
    setBusy(true);
    leaveCurrent().then(function () { setBusy(false); show(index); });
  }

  document.querySelectorAll("nav button").forEach(function (b) {
    b.addEventListener("click", function () {
      if (cfg.sequenced) navigate("choice", b.dataset.id);
      else go(Number(b.dataset.index));
    });
  });
  if (exitBtn) {
    exitBtn.addEventListener("click", function () { navigate("exit"); });
    suspendBtn.addEventListener("click", function () { navigate("suspendAll"); });
    exitAllBtn.addEventListener("click", function () {
      if (window.confirm("Akhiri modul ini? Bagian yang belum selesai tidak dapat dilanjutkan; " +
                         "membuka modul lagi memulai percobaan baru.")) navigate("exitAll");
    });
  }
  if (cfg.sequenced) {
    // Closing the player without ending the session suspends it (SN Suspend All), so the
    // next launch resumes where the learner was instead of starting the course over.
    // A keepalive request outlives the page and, unlike a beacon, carries the header.
    window.addEventListener("pagehide", function () {
      if (sessionOver) return;
      try {
        fetch(cfg.navigationUrl, {
          method: "POST", keepalive: true, credentials: "omit",
          headers: { "Content-Type": "application/json", "X-Launch-Token": cfg.launch },
          body: JSON.stringify({ request: "suspendAll" })
        });
      } catch (e) { /* best effort */ }
    });
  }
  if (prevBtn) {
    prevBtn.addEventListener("click", function () {
      if (cfg.sequenced) navigate("previous"); else go(current - 1);
    });
    nextBtn.addEventListener("click", function () {
      if (cfg.sequenced) navigate("continue"); else go(current + 1);
    });
  }

  function seconds() { return "PT" + Math.round((Date.now() - started) / 1000) + "S"; }

  if (cfg.kind === "pdf" || cfg.kind === "page") {
    var done = document.getElementById("done");
    frame.addEventListener("load", function () {
      if (frame.src === "about:blank" || frame.src === cfg.blankUrl) return;
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
  } else if (cfg.sequenced) {
    navigate("start").then(function (nav) {
      // A root without flow delivers nothing on start (SN SB.2.5): open the first item
      // the learner may choose, as the table of contents would.
      if (nav && !nav.deliver && !nav.ended && nav.controls) {
        var first = cfg.items.filter(function (it) {
          var st = nav.controls.items[it.identifier];
          return st && st.enabled;
        })[0];
        if (first) navigate("choice", first.identifier);
      }
    });
  } else {
    show(0);
  }
})();
