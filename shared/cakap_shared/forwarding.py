"""Whose X-Forwarded-For to believe: only a hop that proves it is ours (issue 10 item 7).

The gateway and the portal share a secret (GATEWAY_FORWARDER_SECRET / _FILE). The gateway
sends it to every service with the client's address, and the portal sends it back to the
gateway with the browser's address. A request without it — any client that reaches a
port directly, on this machine or elsewhere — is judged by its own peer address, however
it rotates X-Forwarded-For, so per-address sign-in throttling holds. The header never
reaches application code.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from ipaddress import ip_address
from typing import Any

FORWARDER_HEADER = "X-Cakap-Forwarder-Secret"
FORWARDER_ENVIRON_KEY = "HTTP_X_CAKAP_FORWARDER_SECRET"


def proves_forwarder(presented: str | None, secret: str | None) -> bool:
    """True when `presented` is the configured forwarder secret (constant-time compare)."""
    if not secret or presented is None:
        return False
    return hmac.compare_digest(presented.encode("latin-1", "replace"), secret.encode())


def last_forwarded_address(value: str | None) -> str | None:
    """The address the closest hop names in X-Forwarded-For, when it is an IP address."""
    if not value:
        return None
    try:
        return str(ip_address(value.rsplit(",", 1)[-1].strip()))
    except ValueError:
        return None


class TrustedForwarder:
    """WSGI middleware: REMOTE_ADDR and the scheme from X-Forwarded-* only with the secret.

    Replaces werkzeug's ProxyFix, which believes whoever can reach the port.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], secret: str | None) -> None:
        self.app = app
        self.secret = secret

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Rewrite REMOTE_ADDR / wsgi.url_scheme for a proven forwarder; drop the proof."""
        presented = environ.pop(FORWARDER_ENVIRON_KEY, None)
        if proves_forwarder(presented, self.secret):
            address = last_forwarded_address(environ.get("HTTP_X_FORWARDED_FOR"))
            if address:
                environ["cakap.peer_addr"] = environ.get("REMOTE_ADDR")
                environ["REMOTE_ADDR"] = address
            proto = (environ.get("HTTP_X_FORWARDED_PROTO") or "").rsplit(",", 1)[-1].strip()
            if proto.lower() in ("http", "https"):
                environ["wsgi.url_scheme"] = proto.lower()
        return self.app(environ, start_response)
