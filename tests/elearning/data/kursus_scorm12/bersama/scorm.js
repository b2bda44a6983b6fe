// Contoh minimal: cari API SCORM 1.2, laporkan selesai.
var api = window.parent && window.parent.API;
if (api) { api.LMSInitialize(""); api.LMSSetValue("cmi.core.lesson_status", "completed"); api.LMSFinish(""); }
