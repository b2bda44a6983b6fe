"""Gateway configuration, from the environment only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

DEFAULT_SERVICE_URLS = (
    "personnel=http://127.0.0.1:8001,catalog=http://127.0.0.1:8002,"
    "elearning=http://127.0.0.1:8003,evaluation=http://127.0.0.1:8004,"
    "portal=http://127.0.0.1:8080"
)


def parse_service_urls(value: str) -> dict[str, str]:
    """`name=url,name=url` as an ordered {name: base_url} (order breaks route ties)."""
    urls: dict[str, str] = {}
    for part in value.split(","):
        name, sep, url = part.strip().partition("=")
        if sep and name.strip() and url.strip():
            urls[name.strip()] = url.strip().rstrip("/")
    return urls


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway needs to know; see from_env for the variable names."""

    service_urls: dict[str, str]
    jwt_issuer: str = "cakap-personnel"
    jwks_url: str | None = None
    jwt_public_key: str | None = None
    connect_timeout: float = 1.0
    read_timeout: float = 30.0
    manifest_ttl: float = 15.0
    manifest_timeout: float = 2.0
    max_body: int = 512 * 1024 * 1024
    default_service: str = "portal"
    trust_forwarded: bool = False
    # Who may name the real client in X-Forwarded-For (sign-in throttling per address must
    # count the browser, not the hop all users come through): the portal, by presenting
    # this shared secret (the gateway presents it to the services in turn) ...
    forwarder_secret: str | None = None
    # ... and an edge proxy in front of the gateway, by its own address (nginx in
    # docker-compose.yml). Never a whole host's loopback: any local client could lie.
    trusted_forwarders: tuple[IPv4Network | IPv6Network, ...] = ()
    access_log: bool = True
    log_level: str = "INFO"
    pool_size: int = 32
    # Never forwarded from outside: the event inbox and the service-token endpoint
    # (services call personnel directly for it; service tokens are refused here anyway).
    blocked_prefixes: tuple[str, ...] = ("/internal", "/api/v1/auth/service-token")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewayConfig:
        """Read GATEWAY_* and the shared JWT/SERVICE_URLS variables."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else default

        urls = parse_service_urls(get("SERVICE_URLS", DEFAULT_SERVICE_URLS) or "")
        public_key = get("JWT_PUBLIC_KEY")
        if public_key is None and get("JWT_PUBLIC_KEY_FILE"):
            public_key = Path(get("JWT_PUBLIC_KEY_FILE") or "").read_text()
        personnel = urls.get("personnel", "http://127.0.0.1:8001")
        forwarder_secret = get("GATEWAY_FORWARDER_SECRET")
        if forwarder_secret is None and get("GATEWAY_FORWARDER_SECRET_FILE"):
            forwarder_secret = Path(get("GATEWAY_FORWARDER_SECRET_FILE") or "").read_text().strip()
        return cls(
            service_urls=urls,
            jwt_issuer=get("JWT_ISSUER", "cakap-personnel") or "cakap-personnel",
            jwks_url=None if public_key else get("JWKS_URL", f"{personnel}/.well-known/jwks.json"),
            jwt_public_key=public_key,
            connect_timeout=float(get("GATEWAY_CONNECT_TIMEOUT", "1") or 1),
            read_timeout=float(get("GATEWAY_READ_TIMEOUT", "30") or 30),
            manifest_ttl=float(get("GATEWAY_MANIFEST_TTL", "15") or 15),
            manifest_timeout=float(get("GATEWAY_MANIFEST_TIMEOUT", "2") or 2),
            max_body=int(get("GATEWAY_MAX_BODY", str(512 * 1024 * 1024)) or 0),
            default_service=get("GATEWAY_DEFAULT_SERVICE", "portal") or "portal",
            trust_forwarded=(get("GATEWAY_TRUST_FORWARDED", "0") or "0").lower()
            in {"1", "true", "yes", "on"},
            forwarder_secret=forwarder_secret or None,
            trusted_forwarders=_networks(get("GATEWAY_TRUSTED_FORWARDERS")),
            access_log=(get("GATEWAY_ACCESS_LOG", "1") or "1").lower()
            in {"1", "true", "yes", "on"},
            log_level=get("LOG_LEVEL", "INFO") or "INFO",
            pool_size=int(get("GATEWAY_POOL_SIZE", "32") or 32),
            blocked_prefixes=tuple(
                p.strip().rstrip("/")
                for p in (
                    get("GATEWAY_BLOCKED_PREFIXES", ",".join(cls.blocked_prefixes)) or ""
                ).split(",")
                if p.strip().rstrip("/")
            ),
        )


def _networks(value: str | None) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(
        ip_network(part.strip(), strict=False) for part in (value or "").split(",") if part.strip()
    )


@dataclass(frozen=True)
class ClientLimits:
    """What one client connection may cost the gateway's worker (see gateway/worker.py)."""

    # From accept (or from the first byte after a keep-alive pause) to a complete head.
    head_timeout: float = 10.0
    # A head longer than this is refused (431) instead of being buffered further.
    max_head_bytes: int = 64 * 1024
    # A request body up to this size is read by the poller before a thread is given.
    prebuffer_body: int = 64 * 1024
    # Open connections from one address per worker process (0: no cap).
    max_connections_per_address: int = 64
    # A thread reading a larger body or writing an answer gives up after this many
    # seconds without progress from the client.
    io_timeout: float = 30.0
    # Edge proxies carry many clients on their connections: no per-address cap for them.
    exempt: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientLimits:
        """GATEWAY_HEAD_TIMEOUT, GATEWAY_MAX_HEAD_BYTES, GATEWAY_MAX_CONNECTIONS_PER_ADDRESS,
        GATEWAY_CLIENT_IO_TIMEOUT; the trusted forwarders (edge proxy) are exempt from the cap."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            value = env.get(name)
            return value if value not in (None, "") else default

        return cls(
            head_timeout=float(get("GATEWAY_HEAD_TIMEOUT", "10")),
            max_head_bytes=int(get("GATEWAY_MAX_HEAD_BYTES", str(64 * 1024))),
            max_connections_per_address=int(get("GATEWAY_MAX_CONNECTIONS_PER_ADDRESS", "64")),
            io_timeout=float(get("GATEWAY_CLIENT_IO_TIMEOUT", "30")),
            exempt=_networks(env.get("GATEWAY_TRUSTED_FORWARDERS")),
        )
