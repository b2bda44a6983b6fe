"""Configuration from the environment only; each service adds its own keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def env(name: str, default: str | None = None) -> str | None:
    """An environment variable, or `default` when unset or empty."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    """An integer environment variable."""
    return int(env(name, str(default)))  # type: ignore[arg-type]


def env_bool(name: str, default: bool = False) -> bool:
    """A boolean environment variable: 1/true/yes/on."""
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_secret(name: str) -> str | None:
    """A secret given either as NAME or as a file path in NAME_FILE (Docker-secrets style)."""
    value = env(name)
    if value is not None:
        return value
    path = env(f"{name}_FILE")
    if path is not None:
        return Path(path).read_text().strip()
    return None


def var_dir() -> Path:
    """Where SQLite files, dev keys and content live by default (VAR_DIR, else ./var).

    Created readable by its owner only (0700). An existing folder keeps its mode: VAR_DIR
    may name a folder others use; the files in it are 0600 anyway.
    """
    path = Path(env("VAR_DIR", "var")).resolve()  # type: ignore[arg-type]
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def service_urls() -> dict[str, str]:
    """SERVICE_URLS as {name: base_url}: `personnel=http://127.0.0.1:8001,catalog=...`."""
    urls: dict[str, str] = {}
    for part in (env("SERVICE_URLS", "") or "").split(","):
        name, sep, url = part.strip().partition("=")
        if sep and name and url:
            urls[name.strip()] = url.strip().rstrip("/")
    return urls


# boot.sh's default for gunicorn's threads per worker.
DEFAULT_WEB_THREADS = 4


def pool_options() -> dict[str, int]:
    """Connections a process keeps open (DB_POOL_SIZE) and may add at a peak
    (DB_MAX_OVERFLOW). Every process of every service counts against PostgreSQL's
    max_connections (docs/OPERATIONS.md).

    Unset, a process keeps one per request thread (WEB_THREADS, as boot.sh gives gunicorn;
    at least SQLAlchemy's 5), and may add 10. With SQLAlchemy's 5 beside `make run`'s 8
    threads, a connection past the fifth was closed as it came back, so under load a
    fifth of the requests opened a connection (a SQLite file and its schema, or a
    PostgreSQL login): /me served 20 % fewer requests (issue 20).
    """
    size = env_int("DB_POOL_SIZE", max(5, env_int("WEB_THREADS", DEFAULT_WEB_THREADS)))
    return {"pool_size": size, "max_overflow": env_int("DB_MAX_OVERFLOW", 10)}


def base_config(service: str) -> dict[str, Any]:
    """The settings every service shares, read from the environment."""
    urls = service_urls()
    personnel_url = env("PERSONNEL_URL", urls.get("personnel", "http://127.0.0.1:8001"))
    return {
        "SERVICE_NAME": service,
        "SERVICE_VERSION": env("SERVICE_VERSION", "0.1.0"),
        "SQLALCHEMY_DATABASE_URI": env("DATABASE_URL", f"sqlite:///{var_dir() / service}.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **pool_options()},
        "MAX_CONTENT_LENGTH": env_int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
        "JSON_MAX_DEPTH": env_int("JSON_MAX_DEPTH", 64),
        "LOG_LEVEL": env("LOG_LEVEL", "INFO"),
        "DEMO_MODE": env_bool("DEMO_MODE"),
        "SERVICE_URLS": urls,
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        # Calendar dates (enrolment windows, completion, certificates) are local dates.
        "TIMEZONE": env("CAKAP_TIMEZONE", "Asia/Jakarta"),
        "JWT_ISSUER": env("JWT_ISSUER", "cakap-personnel"),
        "JWT_PUBLIC_KEY": env_secret("JWT_PUBLIC_KEY"),
        "JWKS_URL": env("JWKS_URL", f"{personnel_url}/.well-known/jwks.json"),
        "SERVICE_SECRET": env_secret("SERVICE_SECRET"),
        "TOKEN_URL": env("TOKEN_URL", f"{personnel_url}/api/v1/auth/service-token"),
        "OUTBOX_MAX_ATTEMPTS": env_int("OUTBOX_MAX_ATTEMPTS", 20),
        "OUTBOX_BACKOFF_CAP": env_int("OUTBOX_BACKOFF_CAP", 300),
        "OUTBOX_BATCH_SIZE": env_int("OUTBOX_BATCH_SIZE", 500),
        "OUTBOX_SENDERS": env_int("OUTBOX_SENDERS", 2),
        # flask-smorest / OpenAPI
        "API_TITLE": f"Cakap {service}",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": None,
        "JSON_SORT_KEYS": False,
    }
