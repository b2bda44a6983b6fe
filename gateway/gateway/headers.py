"""Which headers cross the gateway, and what it says about the client (X-Forwarded-*)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from cakap_shared.forwarding import (
    FORWARDER_ENVIRON_KEY,
    FORWARDER_HEADER,
    last_forwarded_address,
    proves_forwarder,
)

Networks = tuple[IPv4Network | IPv6Network, ...]

# Never forwarded in either direction (RFC 9110 7.6.1), plus what the gateway sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
RESPONSE_SKIP = HOP_BY_HOP | {"x-request-id", "date", "server"}
_REQUEST_SKIP = frozenset(
    {
        "HTTP_CONNECTION",
        "HTTP_KEEP_ALIVE",
        "HTTP_PROXY_AUTHORIZATION",
        "HTTP_PROXY_CONNECTION",
        "HTTP_TE",
        "HTTP_TRAILER",
        "HTTP_TRANSFER_ENCODING",
        "HTTP_UPGRADE",
        "HTTP_EXPECT",
        "HTTP_X_REQUEST_ID",
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_CONTENT_LENGTH",
        "HTTP_CONTENT_TYPE",
        FORWARDER_ENVIRON_KEY,
    }
)
_names: dict[str, str] = {}


def header_name(key: str) -> str:
    """`HTTP_X_REQUEST_ID` -> `X-Request-Id` (cached: the same few dozen names recur)."""
    name = _names.get(key)
    if name is None:
        name = key[5:].replace("_", "-").title()
        if len(_names) < 2000:
            _names[key] = name
    return name


def _from_forwarder(
    environ: dict[str, Any],
    remote: str,
    trusted_forwarders: Networks,
    forwarder_secret: str | None,
) -> bool:
    """The portal (it presents the forwarder secret) or the edge proxy (by its address)."""
    if proves_forwarder(environ.get(FORWARDER_ENVIRON_KEY), forwarder_secret):
        return True
    if not trusted_forwarders:
        return False
    try:
        address = ip_address(remote)
    except ValueError:
        return False
    return any(address in network for network in trusted_forwarders)


def client_origin(
    environ: dict[str, Any],
    trusted_forwarders: Networks = (),
    forwarder_secret: str | None = None,
) -> tuple[str, str]:
    """The client's address and scheme: the peer's own, or what a trusted forwarder says."""
    remote: str = environ.get("REMOTE_ADDR") or "unknown"
    scheme: str = environ.get("wsgi.url_scheme", "http")
    claimed = environ.get("HTTP_X_FORWARDED_FOR")
    proto = environ.get("HTTP_X_FORWARDED_PROTO")
    if (claimed or proto) and _from_forwarder(
        environ, remote, trusted_forwarders, forwarder_secret
    ):
        remote = last_forwarded_address(claimed) or remote
        proto = (proto or "").rsplit(",", 1)[-1].strip().lower()
        if proto in ("http", "https"):
            scheme = proto
    return remote, scheme


def end_to_end_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The client's headers that go on to the service, as (name, value) pairs."""
    headers: list[tuple[str, str]] = []
    append = headers.append
    drop = _REQUEST_SKIP
    connection = environ.get("HTTP_CONNECTION")
    if connection and connection.lower() not in ("keep-alive", "close"):
        # Headers the client named as hop-by-hop go no further either.
        drop = drop | {"HTTP_" + n.strip().upper().replace("-", "_") for n in connection.split(",")}
    for key, value in environ.items():
        if key[:5] == "HTTP_" and key not in drop:
            if "\n" in value or "\r" in value:
                continue
            append((header_name(key), value))
    content_type = environ.get("CONTENT_TYPE")
    if content_type:
        append(("Content-Type", content_type))
    return headers


def forward_headers(
    environ: dict[str, Any],
    request_id: str,
    trust_forwarded: bool,
    trusted_forwarders: Networks = (),
    forwarder_secret: str | None = None,
) -> list[tuple[str, str]]:
    """The client's end-to-end headers plus X-Forwarded-*, X-Request-ID and our proof.

    The forwarder secret a client sent is never passed on; the gateway's own goes to
    every service, which believes X-Forwarded-For only with it (cakap_shared.forwarding).
    """
    headers = end_to_end_headers(environ)
    append = headers.append
    remote, scheme = client_origin(environ, trusted_forwarders, forwarder_secret)
    if trust_forwarded:
        prior = environ.get("HTTP_X_FORWARDED_FOR")
        append(("X-Forwarded-For", f"{prior}, {remote}" if prior else remote))
        append(("X-Forwarded-Proto", environ.get("HTTP_X_FORWARDED_PROTO") or scheme))
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST")
    else:
        append(("X-Forwarded-For", remote))
        append(("X-Forwarded-Proto", scheme))
        host = environ.get("HTTP_HOST")
    if host:
        append(("X-Forwarded-Host", host))
    append(("X-Request-ID", request_id))
    if forwarder_secret:
        append((FORWARDER_HEADER, forwarder_secret))
    return headers
