"""Token checks at the gateway: a person's access token (audience `cakap`), cached."""

from __future__ import annotations

import logging
from typing import Any

from cakap_shared.auth import USER_AUDIENCE, InvalidToken, TokenCache, TokenVerifier, bearer_token

from .config import GatewayConfig

log = logging.getLogger("cakap.gateway.auth")


class GatewayAuth:
    """Verifies Bearer tokens once per token (until it expires) with the shared verifier."""

    def __init__(self, config: GatewayConfig) -> None:
        keys = [config.jwt_public_key] if config.jwt_public_key else []
        # Only the user audience: service tokens (aud = a service name) are internal.
        verifier = TokenVerifier(
            issuer=config.jwt_issuer,
            audiences=[USER_AUDIENCE],
            public_keys=keys,
            jwks_url=None if keys else config.jwks_url,
        )
        self.cache = TokenCache(verifier)

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        """The verified claims of the request's token, or None (missing or invalid)."""
        token = bearer_token(authorization)
        if token is None:
            return None
        try:
            claims = self.cache.verify(token)
        except InvalidToken as exc:
            log.info("token refused: %s", exc, extra={"fields": {"event": "auth.refused"}})
            return None
        roles = claims.get("roles")
        if (isinstance(roles, list) and "service" in roles) or str(
            claims.get("sub", "")
        ).startswith("service:"):
            log.info(
                "service token refused at the gateway", extra={"fields": {"event": "auth.refused"}}
            )
            return None
        return claims
