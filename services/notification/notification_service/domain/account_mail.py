"""Activation and password-reset e-mails: written and sent as soon as personnel asks.

They are not inbox items (the person cannot sign in yet, or forgot how), they ignore
preferences and quiet hours (someone is waiting for the code), and nothing here stores the
code: it is collected from personnel while the mail is written and exists afterwards only in
the mail. A temporary failure raises, so the event is redelivered by personnel's outbox with
backoff and the next attempt collects a new code.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from cakap_shared.http import ServiceUnavailable
from cakap_shared.indonesian import waktu
from cakap_shared.problems import CakapError
from flask import current_app

from ..channels import Message, PermanentFailure, TemporaryFailure
from ..clients import personnel
from ..worker import email_channel

log = logging.getLogger("cakap.notification")


def compose(purpose: str, name: str, issued: dict[str, Any], zone: str) -> tuple[str, str]:
    """Subject and text of the mail, Bahasa Indonesia first, then English."""
    code, link, username = issued["code"], issued["link"], issued["username"]
    until = waktu(datetime.fromisoformat(issued["expires_at"]), zone)
    if purpose == "activation":
        return "Aktivasi akun Cakap / Activate your Cakap account", (
            f"Yth. {name},\n\n"
            f"Akun Cakap Anda ({username}) siap diaktifkan.\n"
            f"Kode aktivasi: {code}\n"
            f"Buka {link} , masukkan kode itu, lalu pilih kata sandi Anda sendiri.\n"
            f"Kode berlaku sampai {until} dan hanya dapat dipakai sekali.\n\n"
            "---\n"
            f"Your Cakap account ({username}) is ready. Activation code: {code}\n"
            f"Open {link} , enter the code and choose your password (valid until {until}).\n"
        )
    return "Atur ulang kata sandi Cakap / Reset your Cakap password", (
        f"Yth. {name},\n\n"
        f"Seseorang meminta pengaturan ulang kata sandi akun Cakap Anda ({username}).\n"
        f"Kode: {code}\n"
        f"Buka {link} lalu masukkan kode itu sebelum {until}.\n\n"
        "Jika bukan Anda yang meminta, abaikan surel ini; kata sandi Anda tidak berubah.\n\n"
        "---\n"
        f"Someone asked to reset the password of your Cakap account ({username}). Code: {code}\n"
        f"Open {link} before {until}. If it was not you, ignore this e-mail.\n"
    )


def send(event_id: str, data: dict[str, Any]) -> bool:
    """Write and send one account mail; False when there is nothing (more) to send.

    Raises CakapError 503 when trying again later may help (no channel, personnel or the
    SMTP server unavailable): the inbox rolls back and the producer redelivers.
    """
    channel = email_channel(current_app)
    if channel is None:
        raise CakapError(503, "No e-mail channel is configured; account mails wait.")
    if not data.get("email"):
        log.warning("account mail without address", extra={"fields": {"event_id": event_id}})
        return False
    try:
        issued = personnel.account_mail_code(data["mail_id"])
    except personnel.MailGone:
        return False
    except ServiceUnavailable as exc:
        raise CakapError(503, f"Personnel cannot give the code now: {exc}") from None
    subject, text = compose(
        data["purpose"], issued.get("name") or data["name"], issued, current_app.config["TIMEZONE"]
    )
    try:
        channel.send(Message(event_id, data["name"], data["email"], subject, text))
    except TemporaryFailure as exc:
        raise CakapError(503, f"The e-mail could not be sent yet: {exc}") from None
    except PermanentFailure as exc:
        # The address refuses for good; an admin sees the account stay pending.
        log.warning(
            "account mail bounced", extra={"fields": {"event_id": event_id, "error": str(exc)}}
        )
        return False
    return True
