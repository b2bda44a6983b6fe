"""Access-token verification every service does for itself, and who the caller is.

Tokens are RS256 JWTs issued by personnel (see docs/decisions/0002-access-tokens.md).
The algorithm is pinned, `exp`/`iat`/`iss`/`aud` are required, and a token that
names its own key (`jku`, `jwk`, `x5u`, `x5c`) is refused outright.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jwt
from flask import Flask, g, request
from jwt import PyJWK, PyJWKClient

from .problems import CakapError

ALGORITHM = "RS256"
# opd_admin: an OPD's own account administrator (activation for their unit subtree only).
ROLES = ("asn", "supervisor", "trainer", "admin", "service", "opd_admin")
USER_AUDIENCE = "cakap"
_FORBIDDEN_HEADERS = ("jku", "jwk", "x5u", "x5c")
log = logging.getLogger("cakap.auth")
F = TypeVar("F", bound=Callable[..., Any])


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not ours."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a person or a service."""

    id: str
    username: str
    roles: frozenset[str]
    name: str = ""
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_role(self, *roles: str) -> bool:
        """True when the caller has any of `roles`."""
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        """BKPSDM administrators see and edit everything."""
        return "admin" in self.roles

    @property
    def is_service(self) -> bool:
        """Another Cakap service calling with its own token."""
        return "service" in self.roles

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """Build the caller from verified claims."""
        return cls(
            id=str(claims["sub"]),
            username=str(claims.get("username", claims["sub"])),
            roles=frozenset(r for r in claims.get("roles", []) if r in ROLES),
            name=str(claims.get("name", "")),
            claims=claims,
        )


class TokenVerifier:
    """Verifies access tokens against pinned public keys or the issuer's JWKS."""

    def __init__(
        self,
        *,
        issuer: str,
        audiences: Iterable[str],
        public_keys: Iterable[str] = (),
        jwks_url: str | None = None,
        leeway: int = 5,
    ) -> None:
        self.issuer = issuer
        self.audiences = list(audiences)
        self.leeway = leeway
        self._keys: dict[str, Any] = {}
        for pem in public_keys:
            key = PyJWK.from_json(jwk_json_from_pem(pem))
            assert key.key_id is not None  # jwk_json_from_pem always names the key
            self._keys[key.key_id] = key.key
        self._jwks = (
            PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=3) if jwks_url else None
        )
        if not self._keys and self._jwks is None:
            raise ValueError("TokenVerifier needs public_keys or a jwks_url")

    def verify(self, token: str) -> dict[str, Any]:
        """Return the claims of a valid token, else raise InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unexpected signing algorithm")
        if any(name in header for name in _FORBIDDEN_HEADERS):
            raise InvalidToken("token names its own key")
        key = self._key_for(header.get("kid"))
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audiences,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc

    def _key_for(self, kid: str | None) -> Any:
        if not kid:
            raise InvalidToken("token has no key id")
        if kid in self._keys:
            return self._keys[kid]
        if self._jwks is not None:
            try:
                return self._jwks.get_signing_key(kid).key
            except jwt.PyJWKClientConnectionError as exc:
                # Fail closed: no keys, no entry.
                raise InvalidToken("signing keys unavailable") from exc
            except jwt.PyJWTError as exc:
                raise InvalidToken("unknown key id") from exc
        raise InvalidToken("unknown key id")


def jwk_json_from_pem(pem: str) -> str:
    """The public JWK (with its RFC 7638 thumbprint as `kid`) of an RSA public or private key."""
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from jwt.algorithms import RSAAlgorithm

    data = pem.encode()
    if b"PRIVATE KEY" in data:
        public = serialization.load_pem_private_key(data, password=None).public_key()
    else:
        public = serialization.load_pem_public_key(data)
    if not isinstance(public, RSAPublicKey):
        raise ValueError("only RSA keys sign Cakap tokens")
    jwk = json.loads(RSAAlgorithm.to_jwk(public))
    jwk.update({"kid": key_thumbprint(jwk), "alg": ALGORITHM, "use": "sig"})
    return json.dumps(jwk)


def key_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK, base64url without padding."""
    import base64
    import hashlib
    import json

    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def bearer_token(header_value: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    if not header_value:
        return None
    scheme, _, token = header_value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class TokenCache:
    """Remembers verified tokens until they expire, so a hot path verifies each once."""

    def __init__(self, verifier: TokenVerifier, max_entries: int = 10_000) -> None:
        self.verifier = verifier
        self.max_entries = max_entries
        self._entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> dict[str, Any]:
        """Cached verify: claims are reused only while `exp` lies ahead."""
        claims = self._entries.get(token)
        if claims is not None and claims["exp"] > time.time():
            return claims
        claims = self.verifier.verify(token)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[token] = claims
        return claims


def unauthorized(detail: str = "A valid access token is required.") -> CakapError:
    """401 with the Bearer challenge."""
    return CakapError(401, detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def public(view: F) -> F:
    """Mark a view function or MethodView class as reachable without a token."""
    view._public = True  # type: ignore[attr-defined]
    return view


def is_public_view(view: Callable[..., Any]) -> bool:
    """True for a view (function or MethodView) marked @public."""
    return bool(
        getattr(view, "_public", False)
        or getattr(getattr(view, "view_class", None), "_public", False)
    )


def _is_public(app: Flask) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    if view is None:
        return True  # unknown route: let routing answer 404/405
    return is_public_view(view)


_ALWAYS_OPEN = ("/health/", "/.well-known/", "/api/openapi.json", "/api/docs", "/static/")


def init_auth(app: Flask, verifier: TokenVerifier | TokenCache) -> None:
    """Require a valid token on every route except health, manifests, docs and @public views."""
    app.extensions["cakap_verifier"] = verifier

    @app.before_request
    def _authenticate() -> None:
        principal = None
        token = bearer_token(request.environ.get("HTTP_AUTHORIZATION"))
        if token:
            try:
                principal = Principal.from_claims(verifier.verify(token))
            except InvalidToken as exc:
                log.info("token refused: %s", exc, extra={"fields": {"event": "auth.refused"}})
                if not request.path.startswith(_ALWAYS_OPEN) and not _is_public(app):
                    raise unauthorized() from None
        g.principal = principal
        if principal is None:
            if request.path.startswith(_ALWAYS_OPEN) or _is_public(app):
                return
            raise unauthorized()


def current_principal() -> Principal:
    """The caller of this request (init_auth guarantees one on protected routes)."""
    principal: Principal | None = getattr(g, "principal", None)
    if principal is None:
        raise unauthorized()
    return principal


def require_roles(*roles: str) -> Principal:
    """The caller, when it has one of `roles`; else 403."""
    principal = current_principal()
    if not principal.has_role(*roles):
        raise CakapError(403, "Your role does not allow this action.")
    return principal


def roles_required(*roles: str) -> Callable[[F], F]:
    """Decorator form of require_roles for views."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_roles(*roles)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
