"""The Surel gagal page says why an e-mail did not arrive in Indonesian (and English)."""

from __future__ import annotations

import pytest
from portal_service.backoffice.deliveries import reason


@pytest.mark.parametrize(
    ("status", "error", "indonesian"),
    [
        ("bounced", "550 5.1.1 mailbox unknown", "Alamat e-mail tidak ada"),
        ("bounced", "552 mailbox full", "Kotak surat penerima penuh."),
        ("bounced", "571 policy", "Ditolak server penerima."),
        ("failed", "TLS required: the server offers no STARTTLS", "tanpa enkripsi"),
        ("failed", "SSLCertVerificationError: certificate verify failed", "SMTP_CA_FILE"),
        ("failed", "530 5.7.0 Must issue a STARTTLS command first", "SMTP_STARTTLS"),
        ("failed", "login refused: 535", "SMTP_USERNAME"),
        ("failed", "451 try later", "mencoba lagi nanti"),
        ("failed", "ConnectionRefusedError: [Errno 111]", "tidak dapat dihubungi"),
    ],
)
def test_reason_by_status_and_server_answer(app, status, error, indonesian):
    with app.test_request_context("/"):
        assert indonesian in reason({"status": status, "last_error": error})


def test_reason_in_english(app):
    with app.test_request_context("/?lang=en", headers={"Accept-Language": "en"}):
        from flask_babel import force_locale

        with force_locale("en"):
            text = reason({"status": "bounced", "last_error": "552 full"})
    assert text == "The recipient's mailbox is full."
