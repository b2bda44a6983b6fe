/* Pembungkus kecil SCORM 1.2: mencari API milik LMS dan mencatat progres. */
var Scorm = (function () {
  var api = null;
  var mulai = new Date();
  var selesai = false;

  function cariApi(win) {
    var coba = 0;
    while (win && !win.API && win.parent && win.parent !== win && coba < 10) {
      coba++;
      win = win.parent;
    }
    return win ? win.API || null : null;
  }

  function durasi() {
    var detik = Math.round((new Date() - mulai) / 1000);
    var j = Math.floor(detik / 3600), m = Math.floor((detik % 3600) / 60), d = detik % 60;
    function dua(n) { return (n < 10 ? "0" : "") + n; }
    return (j < 10 ? "000" : "00") + j + ":" + dua(m) + ":" + dua(d);
  }

  return {
    mulai: function () {
      api = cariApi(window);
      if (!api) { return false; }
      api.LMSInitialize("");
      var status = api.LMSGetValue("cmi.core.lesson_status");
      if (status === "not attempted" || status === "") {
        api.LMSSetValue("cmi.core.lesson_status", "incomplete");
      }
      return true;
    },
    ambil: function (elemen) { return api ? api.LMSGetValue(elemen) : ""; },
    simpan: function (elemen, nilai) { return api ? api.LMSSetValue(elemen, String(nilai)) : "false"; },
    kirim: function () { return api ? api.LMSCommit("") : "false"; },
    akhiri: function (tunda) {
      if (!api || selesai) { return; }
      selesai = true;
      api.LMSSetValue("cmi.core.session_time", durasi());
      api.LMSSetValue("cmi.core.exit", tunda ? "suspend" : "");
      api.LMSCommit("");
      api.LMSFinish("");
    }
  };
})();
