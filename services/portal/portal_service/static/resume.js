// Sends the form kept when the session ended (resume.html); without script the button does.
document.getElementById("kirim-ulang").submit();
