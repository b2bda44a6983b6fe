"""Notification configuration, from the environment only."""

from __future__ import annotations

from typing import Any

from cakap_shared.config import base_config, env, env_bool, env_int, env_secret


def load_config() -> dict[str, Any]:
    """Shared settings plus this service's own (SMTP, digest, retries)."""
    config = base_config("notification")
    config.update(
        {
            # Empty SMTP_HOST: no e-mail channel (inbox only); e-mails stay queued.
            "SMTP_HOST": env("SMTP_HOST", "127.0.0.1"),
            "SMTP_PORT": env_int("SMTP_PORT", 8025),
            "SMTP_STARTTLS": env_bool("SMTP_STARTTLS", False),
            # PEM file of the CA that signed the SMTP server's certificate (else the system's).
            "SMTP_CA_FILE": env("SMTP_CA_FILE"),
            "SMTP_USERNAME": env("SMTP_USERNAME"),
            "SMTP_PASSWORD": env_secret("SMTP_PASSWORD"),
            "SMTP_FROM": env("SMTP_FROM", "Cakap <noreply@cakap.localhost>"),
            "SMTP_TIMEOUT": env_int("SMTP_TIMEOUT", 10),
            "NOTIFY_MAX_ATTEMPTS": env_int("NOTIFY_MAX_ATTEMPTS", 20),
            "NOTIFY_BACKOFF_CAP": env_int("NOTIFY_BACKOFF_CAP", 900),
            # Local hour (CAKAP_TIMEZONE) at which supervisors' daily digests go out.
            "DIGEST_HOUR": env_int("DIGEST_HOUR", 7),
            "CAKAP_ENV": env("CAKAP_ENV", "development"),
        }
    )
    return config
