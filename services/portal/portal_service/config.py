"""Portal configuration, from the environment only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from cakap_shared.config import env, env_bool, env_int, env_secret, var_dir


class ConfigError(RuntimeError):
    """The environment does not describe a runnable portal."""


def load_config() -> dict[str, Any]:
    """The portal's settings; it has no database, so it needs few of the shared ones."""
    cakap_env = env("CAKAP_ENV", "development")
    secure = env_bool("SESSION_COOKIE_SECURE", cakap_env == "production")
    absolute = env_int("PORTAL_SESSION_MAX_SECONDS", 10 * 3600)
    return {
        "SERVICE_NAME": "portal",
        "SERVICE_VERSION": env("SERVICE_VERSION", "0.1.0"),
        "CAKAP_ENV": cakap_env,
        "LOG_LEVEL": env("LOG_LEVEL", "INFO"),
        "SECRET_KEY": env_secret("SECRET_KEY"),
        # The portal reaches every API through the gateway, never a service directly.
        "GATEWAY_URL": (env("GATEWAY_URL", "http://127.0.0.1:8000") or "").rstrip("/"),
        "GATEWAY_CONNECT_TIMEOUT": float(env("PORTAL_API_CONNECT_TIMEOUT", "2") or 2),
        "GATEWAY_READ_TIMEOUT": float(env("PORTAL_API_READ_TIMEOUT", "15") or 15),
        # Threads per portal process for a page's independent API calls (fanout.py); below
        # 2, a page makes its calls one after the other.
        "PORTAL_API_FANOUT": env_int("PORTAL_API_FANOUT", 16),
        # Shared with the gateway: it proves the gateway's X-Forwarded-For/-Proto to the
        # portal, and the portal's X-Forwarded-For (the browser) to the gateway.
        "FORWARDER_SECRET": env_secret("GATEWAY_FORWARDER_SECRET"),
        # Becomes __Host-cakap_portal when Secure (see create_app).
        "SESSION_COOKIE_NAME": "cakap_portal",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        # The signed sessions: records in Redis (docs/decisions/0006-portal-sessions-in-redis.md).
        "REDIS_URL": env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "PORTAL_SESSION_PREFIX": env("PORTAL_SESSION_PREFIX", "cakap:portal:"),
        "PORTAL_SESSION_IDLE_SECONDS": env_int("PORTAL_SESSION_IDLE_SECONDS", 3600),
        "PORTAL_SESSION_MAX_SECONDS": absolute,
        # The cookie outlives the session it names, so a form shown before the session
        # ended still carries a valid CSRF token (and is kept across the sign-in).
        "PERMANENT_SESSION_LIFETIME": absolute + 2 * 3600,
        # Module uploads pass through the portal on their way to elearning.
        "MAX_CONTENT_LENGTH": env_int("PORTAL_MAX_UPLOAD_BYTES", 512 * 1024 * 1024),
        # A CSRF token lives as long as the session (a long post test must still submit).
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": env("CAKAP_TIMEZONE", "Asia/Jakarta"),
        "LANGUAGES": ["id", "en"],
        "PER_PAGE": env_int("PORTAL_PER_PAGE", 20),
        "ORGANISATION_NAME": env("PORTAL_ORGANISATION_NAME", "Pemerintah Kota Palembang"),
    }


def ensure_secret_key(config: dict[str, Any]) -> None:
    """Require SECRET_KEY in production; in development keep a generated one under var/."""
    if config.get("SECRET_KEY"):
        return
    if config.get("CAKAP_ENV") == "production":
        raise ConfigError("SECRET_KEY (or SECRET_KEY_FILE) must be set in production")
    path = Path(config.get("SECRET_KEY_PATH") or var_dir() / "keys" / "portal-secret-key")
    config["SECRET_KEY"] = _read_or_create_secret(path)


def _read_or_create_secret(path: Path) -> str:
    """Read the dev secret, or write a new one readable by its owner only (0600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(48)
    # Written aside, then linked into place: two workers starting together agree on one key
    # and neither ever reads a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    try:
        os.link(tmp, path)
    except FileExistsError:
        secret = path.read_text().strip()
    finally:
        tmp.unlink()
    return secret
