/* Cakap SCORM runtime shim: injected by the server at the start of <head> of every HTML
   page of a SCO. It runs inside the sandboxed (opaque-origin) content frame, answers the
   SCORM 1.2 (window.API) or 2004 (window.API_1484_11) calls synchronously over a local copy
   of the CMI state, and sends commits to the player page with postMessage. The server
   validates again and is the authority; its answer is merged back. */
(function () {
  "use strict";
  var B = __CAKAP_BOOT__;
  var V12 = B.version === "scorm12";
  var realParent = window.parent;
  var state = B.state || {};
  var dirty = {};
  var seq = 0;
  var initialized = false;
  var terminated = false;
  var lastError = "0";
  var diagnostic = "";
  // This session's id: the server applies the finish rules once per id, whether the
  // finish comes by postMessage, by beacon, or both.
  var sid = (function () {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  })();
  // unloading: this page is going away. playerNavigating: the player asked for it and
  // stays to receive intermediate commits; otherwise the player may be closing too, so
  // every commit made while unloading also goes straight to the server by sendBeacon.
  var unloading = false;
  var playerNavigating = false;

  var STRINGS = V12 ? {
    "0": "No error", "101": "General exception", "201": "Invalid argument error",
    "202": "Element cannot have children", "203": "Element not an array. Cannot have count.",
    "301": "Not initialized", "401": "Not implemented error",
    "402": "Invalid set value, element is a keyword", "403": "Element is read only.",
    "404": "Element is write only", "405": "Incorrect Data Type"
  } : {
    "0": "No Error", "101": "General Exception", "102": "General Initialization Failure",
    "103": "Already Initialized", "104": "Content Instance Terminated",
    "111": "General Termination Failure", "112": "Termination Before Initialization",
    "113": "Termination After Termination", "122": "Retrieve Data Before Initialization",
    "123": "Retrieve Data After Termination", "132": "Store Data Before Initialization",
    "133": "Store Data After Termination", "142": "Commit Before Initialization",
    "143": "Commit After Termination", "201": "General Argument Error",
    "301": "General Get Failure", "351": "General Set Failure", "391": "General Commit Failure",
    "401": "Undefined Data Model Element", "402": "Unimplemented Data Model Element",
    "403": "Data Model Element Value Not Initialized", "404": "Data Model Element Is Read Only",
    "405": "Data Model Element Is Write Only", "406": "Data Model Element Type Mismatch",
    "407": "Data Model Element Value Out Of Range", "408": "Data Model Dependency Not Established"
  };
  var C = V12 ? {
    undef: "201", keyword: "402", ro: "403", wo: "404", type: "405", range: "405",
    getBefore: "301", getAfter: "301", setBefore: "301", setAfter: "301",
    commitBefore: "301", commitAfter: "301", order: "201", children: "202", count: "203",
    notInit: null, getFail: "201"
  } : {
    undef: "401", keyword: "404", ro: "404", wo: "405", type: "406", range: "407",
    getBefore: "122", getAfter: "123", setBefore: "132", setAfter: "133",
    commitBefore: "142", commitAfter: "143", order: "351", children: "301", count: "301",
    notInit: "403", getFail: "301"
  };

  function ok(v) { lastError = "0"; diagnostic = ""; return v; }
  function fail(code, diag, v) { lastError = code; diagnostic = diag || ""; return v; }

  function pattern(el) {
    var parts = String(el).split("."), idx = [];
    for (var i = 0; i < parts.length; i++) {
      if (/^\d+$/.test(parts[i])) {
        if (parts[i] !== String(parseInt(parts[i], 10))) return null;
        idx.push(parseInt(parts[i], 10)); parts[i] = "n";
      }
    }
    return { p: parts.join("."), idx: idx };
  }
  function count(prefix) {
    var seen = {}, n = 0;
    for (var k in state) {
      if (k.indexOf(prefix) === 0) {
        var head = k.substring(prefix.length).split(".")[0];
        if (/^\d+$/.test(head) && !seen[head]) { seen[head] = 1; n++; }
      }
    }
    return n;
  }
  function checkValue(p, value) {
    var vocab = B.vocab[p];
    if (vocab && vocab.indexOf(value) < 0) return [C.type, "must be one of " + vocab.join(", ")];
    var range = B.ranges[p];
    if (range) {
      if (range[2] && value === "") return null;
      if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(value)) return [C.type, "must be a number"];
      var x = parseFloat(value);
      if ((range[0] !== null && x < range[0]) || (range[1] !== null && x > range[1])) {
        return [C.range, "out of range"];
      }
    }
    var limit = B.lengths[p];
    if (limit && value.length > limit) return [C.range, "longer than " + limit + " characters"];
    return null;
  }
  function indexOrder(el) {
    var parts = el.split(".");
    for (var i = 0; i < parts.length; i++) {
      if (/^\d+$/.test(parts[i])) {
        var prefix = parts.slice(0, i).join(".") + ".";
        if (parseInt(parts[i], 10) > count(prefix)) return false;
      }
    }
    return true;
  }

  function getValue(el) {
    el = String(el);
    if (!initialized) return fail(terminated ? C.getAfter : C.getBefore, "not initialized", "");
    if (terminated) return fail(C.getAfter, "terminated", "");
    if (el === "") return fail(C.getFail, "empty element name", "");
    var pt = pattern(el);
    if (!pt) return fail(C.undef, el, "");
    if (/\._children$/.test(el) && !(pt.p in B.model)) return fail(C.children, el, "");
    if (/\._count$/.test(el) && !(pt.p in B.model)) return fail(C.count, el, "");
    var access = B.model[pt.p];
    if (!access) return fail(C.undef, el + " is not a data model element", "");
    if (access === "w") return fail(C.wo, el + " is write only", "");
    if (access === "k") {
      if (/\._version$/.test(el)) return ok(V12 ? "3.4" : "1.0");
      if (/\._children$/.test(el)) return ok(B.children[pt.p] || "");
      if (/\._count$/.test(el)) return ok(String(count(el.replace(/_count$/, ""))));
    }
    if (Object.prototype.hasOwnProperty.call(state, el)) return ok(state[el]);
    if (pt.idx.length && !indexOrder(el)) return fail(C.getFail, "no such record", "");
    if (C.notInit) return fail(C.notInit, el + " has no value yet", "");
    return ok("");
  }

  function setValue(el, value) {
    el = String(el); value = String(value);
    if (!initialized) return fail(terminated ? C.setAfter : C.setBefore, "not initialized", "false");
    if (terminated) return fail(C.setAfter, "terminated", "false");
    var pt = pattern(el);
    var access = pt && B.model[pt.p];
    if (!access) return fail(C.undef, el + " is not a data model element", "false");
    if (access === "k") return fail(C.keyword, el + " is a keyword", "false");
    if (access === "r") return fail(C.ro, el + " is read only", "false");
    if (pt.idx.length && !indexOrder(el)) return fail(C.order, "array index out of order", "false");
    var bad = checkValue(pt.p, value);
    if (bad) return fail(bad[0], el + ": " + bad[1], "false");
    state[el] = value;
    dirty[el] = value;
    return ok("true");
  }

  function ancestors() {
    var out = [], w = realParent;
    for (var i = 0; i < 20 && w; i++) {
      out.push(w);
      var up;
      try { up = w.parent; } catch (e) { break; }
      if (!up || up === w) break;
      w = up;
    }
    return out;
  }

  function post(msg) {
    var targets = ancestors();
    for (var i = 0; i < targets.length; i++) {
      try { targets[i].postMessage(msg, "*"); } catch (e) { /* nothing to do */ }
    }
  }

  function send(finish) {
    var values = dirty;
    dirty = {};
    post({ cakap: "cmi-commit", sco: B.sco, seq: ++seq, values: values, finish: finish ? sid : "",
           credential: B.credential });
    // A page that unloads may lose its postMessage (a parent in another process drops
    // it), so the last commit also goes by beacon; the server applies a finish once.
    if (unloading && (finish || !playerNavigating) && navigator.sendBeacon && B.beacon) {
      var url = B.beacon + (finish ? "&finish=" + sid : "");
      try { navigator.sendBeacon(url, JSON.stringify(values)); } catch (e) { /* best effort */ }
    }
  }

  function goingAway() { unloading = true; }
  window.addEventListener("beforeunload", goingAway);
  window.addEventListener("pagehide", function () {
    unloading = true;
    // RTE 3.4.4: a SCO unloaded without LMSFinish/Terminate is finished by the LMS.
    if (initialized && !terminated) {
      send(true);
      initialized = false;
      terminated = true;
    }
    post({ cakap: "sco-unloaded", sco: B.sco, sid: sid, credential: B.credential });
  });

  window.addEventListener("message", function (ev) {
    var d = ev.data;
    if (d && d.cakap === "cmi-navigating" && ancestors().indexOf(ev.source) >= 0) {
      playerNavigating = true;
      return;
    }
    if (!d || d.cakap !== "cmi-result" || d.sco !== B.sco) return;
    if (ancestors().indexOf(ev.source) < 0) return;
    if (!d.ok) { lastError = V12 ? "101" : "391"; diagnostic = d.detail || "commit refused"; return; }
    // The server is the authority (e.g. 1.2 mastery score decides passed/failed).
    for (var k in d.state) {
      if (!Object.prototype.hasOwnProperty.call(dirty, k)) state[k] = d.state[k];
    }
  });

  function initialize(arg) {
    if (arg !== "" && arg !== undefined) return fail("201", "argument must be empty", "false");
    if (terminated) return fail(V12 ? "101" : "104", "already terminated", "false");
    if (initialized) return fail(V12 ? "101" : "103", "already initialized", "false");
    initialized = true;
    return ok("true");
  }
  function commit(arg) {
    if (arg !== "" && arg !== undefined) return fail("201", "argument must be empty", "false");
    if (!initialized) return fail(terminated ? C.commitAfter : C.commitBefore, "not initialized", "false");
    if (terminated) return fail(C.commitAfter, "terminated", "false");
    send(false);
    return ok("true");
  }
  function terminate(arg) {
    if (arg !== "" && arg !== undefined) return fail("201", "argument must be empty", "false");
    if (!initialized) return fail(terminated ? (V12 ? "301" : "113") : (V12 ? "301" : "112"), "not initialized", "false");
    send(true);
    initialized = false;
    terminated = true;
    return ok("true");
  }
  function getLastError() { return lastError; }
  function getErrorString(code) { return STRINGS[String(code)] || ""; }
  function getDiagnostic(code) { return (code === undefined || code === "" || String(code) === lastError) ? diagnostic : (STRINGS[String(code)] || ""); }

  var api;
  if (V12) {
    api = {
      LMSInitialize: initialize, LMSFinish: terminate, LMSGetValue: getValue,
      LMSSetValue: setValue, LMSCommit: commit, LMSGetLastError: getLastError,
      LMSGetErrorString: getErrorString, LMSGetDiagnostic: getDiagnostic
    };
    window.API = api;
  } else {
    api = {
      Initialize: initialize, Terminate: terminate, GetValue: getValue, SetValue: setValue,
      Commit: commit, GetLastError: getLastError, GetErrorString: getErrorString,
      GetDiagnostic: getDiagnostic, version: "1.0"
    };
    window.API_1484_11 = api;
  }
  // Many SCOs look for the API in window.parent first (ADL's discovery code). The real
  // parent is another origin here, so parent is replaced by a proxy that answers the API
  // names itself and passes everything else, unchanged, to the real parent window.
  try {
    var name = V12 ? "API" : "API_1484_11";
    var proxy = new Proxy({}, {
      get: function (t, k) {
        if (k === name) return api;
        if (k === "postMessage") return function () { return realParent.postMessage.apply(realParent, arguments); };
        return realParent[k];
      },
      has: function (t, k) {
        if (k === name) return true;
        try { return k in realParent; } catch (e) { return false; }
      }
    });
    Object.defineProperty(window, "parent", { value: proxy, configurable: true, writable: true });
  } catch (e) { /* keep the real parent */ }
})();
