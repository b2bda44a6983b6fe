"""Sending a mail: SMTP when configured, else (development only) an .eml file under var/mail/."""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

log = logging.getLogger("cakap.mail")


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text mail; False when there is no way to send it."""
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_FROM"], to, subject
    message.set_content(body)
    if config.get("MAIL_SMTP_HOST"):
        try:
            with smtplib.SMTP(config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"], timeout=10) as s:
                s.starttls()
                s.send_message(message)
            return True
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail not sent: %s", exc.__class__.__name__)
            return False
    if config.get("CAKAP_ENV") == "production":
        log.warning("mail not sent: MAIL_SMTP_HOST is not set")
        return False
    folder = Path(config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{time.time():.6f}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
    return True
