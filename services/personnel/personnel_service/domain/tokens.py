"""Issuing access tokens: the RS256 signing key, JWKS, user and service tokens."""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
import time
import uuid
from hashlib import sha256
from pathlib import Path
from typing import Any

import jwt
from cakap_shared.auth import ALGORITHM, USER_AUDIENCE, TokenVerifier, jwk_json_from_pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask


class TokenIssuer:
    """Signs tokens with the private key, loaded once (loading costs ~28 ms)."""

    def __init__(self, private_pem: str, issuer: str, access_ttl: int, service_ttl: int) -> None:
        self._key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        self.jwk = json.loads(jwk_json_from_pem(private_pem))
        self.kid = self.jwk["kid"]
        self.issuer = issuer
        self.access_ttl = access_ttl
        self.service_ttl = service_ttl
        self.public_pem = (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self._secret = self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def derived_key(self, purpose: bytes) -> bytes:
        """A secret for another use (HMAC of the purpose under the private key): one
        secret less to configure, and it cannot be turned back into the signing key."""
        return hmac.new(self._secret, purpose, sha256).digest()

    def _sign(self, claims: dict[str, Any], audience: str, ttl: int) -> str:
        now = int(time.time())
        payload = {
            **claims,
            "iss": self.issuer,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def user_token(self, claims: dict[str, Any]) -> str:
        """An access token for a signed-in person (audience: the Cakap API)."""
        return self._sign(claims, USER_AUDIENCE, self.access_ttl)

    def service_token(self, service: str, audience: str) -> str:
        """A token for `service` calling `audience`, role `service`."""
        claims = {"sub": f"service:{service}", "username": service, "roles": ["service"]}
        return self._sign(claims, audience, self.service_ttl)

    def jwks(self) -> dict[str, Any]:
        """The public key set."""
        return {"keys": [self.jwk]}

    def verifier(self, audiences: list[str]) -> TokenVerifier:
        """A verifier pinned to this key: personnel needs no JWKS round trip to itself."""
        return TokenVerifier(issuer=self.issuer, audiences=audiences, public_keys=[self.public_pem])


def ensure_dev_key(path: Path) -> str:
    """Create an RSA key at `path` (0600) unless one is there; return its PEM."""
    if path.exists():
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Each starter writes its own temporary file, then links it into place: link() never
    # overwrites, so when several processes start at once (gunicorn workers, the outbox
    # loop) the first key wins and every one of them signs with it. A replace() here let a
    # later starter swap the key under a running process, whose tokens then had an
    # unknown key id.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink()
    return path.read_text()


def issuer_from_config(app: Flask) -> TokenIssuer:
    """The issuer for this app: JWT_PRIVATE_KEY, else the development key under var/."""
    pem = app.config.get("JWT_PRIVATE_KEY")
    if not pem:
        if app.config["CAKAP_ENV"] == "production":
            raise RuntimeError(
                "JWT_PRIVATE_KEY (or JWT_PRIVATE_KEY_FILE) must be set in production"
            )
        pem = ensure_dev_key(Path(app.config["DEV_KEY_PATH"]))
    return TokenIssuer(
        pem,
        app.config["JWT_ISSUER"],
        app.config["ACCESS_TOKEN_TTL"],
        app.config["SERVICE_TOKEN_TTL"],
    )
