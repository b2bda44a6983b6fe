"""The delivery process: send due e-mails, make the daily digests; a loop of its own."""

from __future__ import annotations

import logging

from cakap_shared.background import BackgroundLoop
from flask import Flask

from .channels import Channel
from .channels.email import SmtpChannel
from .clients import personnel
from .domain.delivery import collect_digests, send_due

log = logging.getLogger("cakap.notification")


def email_channel(app: Flask) -> Channel | None:
    """The SMTP channel from config; None when SMTP_HOST is empty (inbox only)."""
    config = app.config
    if not config.get("SMTP_HOST"):
        return None
    return SmtpChannel(
        config["SMTP_HOST"],
        config["SMTP_PORT"],
        config["SMTP_FROM"],
        starttls=config["SMTP_STARTTLS"],
        username=config.get("SMTP_USERNAME"),
        password=config.get("SMTP_PASSWORD"),
        timeout=config["SMTP_TIMEOUT"],
        ca_file=config.get("SMTP_CA_FILE"),
    )


class Worker(BackgroundLoop):
    """Runs rounds until stopped; a failing round is logged and retried later."""

    name = "notification-delivery"

    def __init__(self, app: Flask, channel: Channel | None, idle_sleep: float = 0.5) -> None:
        super().__init__()
        self.app, self.channel, self.idle_sleep = app, channel, idle_sleep

    def run_once(self) -> int:
        if self.channel is None:
            return 0  # no e-mail channel configured: mails stay queued, the inbox has all
        with self.app.app_context():
            return collect_digests() + send_due(self.channel, personnel.person)

    def run_rounds(self) -> None:
        if self.channel is None:
            log.warning("SMTP_HOST is empty: e-mails stay queued until it is set")
        log.info("notification delivery started")
        while self.running:
            try:
                worked = self.run_once()
            except Exception:
                log.exception("notification round failed")  # e.g. DB not migrated yet
                self.pause(2)
                continue
            if not worked:
                self.pause(self.idle_sleep)
