"""Elearning configuration, from the environment only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from cakap_shared.config import base_config, env, env_int, env_secret, var_dir

MiB = 1024 * 1024


def _launch_secret() -> str:
    """LAUNCH_SECRET, else a development secret generated once into var/ (0600)."""
    value = env_secret("LAUNCH_SECRET")
    if value:
        return value
    path = var_dir() / "keys" / "launch-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_config() -> dict[str, Any]:
    """Shared settings plus this service's own."""
    config = base_config("elearning")
    config.update(
        {
            "CAKAP_ENV": env("CAKAP_ENV", "development"),
            # Where unpacked module content lives (LocalContentStore root).
            "CONTENT_DIR": str(Path(env("CONTENT_DIR", str(var_dir() / "content"))).resolve()),  # type: ignore[arg-type]
            # Where packages are stored: "local" (CONTENT_DIR, one machine) or "s3", a
            # bucket every replica shares (credentials and region from the standard AWS_*
            # variables; CONTENT_S3_ENDPOINT_URL for MinIO or another S3-compatible store).
            "CONTENT_STORE": env("CONTENT_STORE", "local"),
            "CONTENT_S3_BUCKET": env("CONTENT_S3_BUCKET", ""),
            "CONTENT_S3_PREFIX": env("CONTENT_S3_PREFIX", ""),
            "CONTENT_S3_ENDPOINT_URL": env("CONTENT_S3_ENDPOINT_URL") or None,
            # Largest accepted upload (zip, PDF, video, Markdown); above it -> 413.
            "MODULE_MAX_BYTES": env_int("MODULE_MAX_BYTES", 200 * MiB),
            # Caps on an unpacked SCORM zip (entries and bytes actually written).
            "PACKAGE_MAX_ENTRIES": env_int("PACKAGE_MAX_ENTRIES", 5000),
            "PACKAGE_MAX_UNPACKED_BYTES": env_int("PACKAGE_MAX_UNPACKED_BYTES", 500 * MiB),
            # HMAC secret of launch credentials (player URLs); generated into var/ in dev.
            "LAUNCH_SECRET": _launch_secret(),
            "LAUNCH_TTL_SECONDS": env_int("LAUNCH_TTL_SECONDS", 4 * 3600),
            # How long the session that completed an attempt may still commit (its last
            # session time, LMSFinish); after that a closed attempt refuses every commit.
            "LAUNCH_CLOSED_GRACE_SECONDS": env_int("LAUNCH_CLOSED_GRACE_SECONDS", 120),
            # How long a runtime commit may rely on catalog's last yes for its attempt
            # instead of asking again: a withdrawal stops commits at most this long after
            # it (at once when the player or a package page asks first). 0: every commit asks.
            "LAUNCH_ACCESS_TTL_SECONDS": env_int("LAUNCH_ACCESS_TTL_SECONDS", 60),
            # The origin package files are served from (scheme://host[:port]), e.g.
            # http://localhost:8003 beside a portal on http://127.0.0.1:8000. When set,
            # package pages run same-origin with each other there (localStorage, frames
            # calling each other) and never in the portal's origin. Empty: packages run
            # in an opaque sandboxed origin under the portal's address.
            "CONTENT_ORIGIN": (env("CONTENT_ORIGIN", "") or "").rstrip("/"),
        }
    )
    # Multipart framing adds a little to the file itself.
    config["MAX_CONTENT_LENGTH"] = config["MODULE_MAX_BYTES"] + 64 * 1024
    return config
