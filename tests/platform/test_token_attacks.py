"""SECURITY.md #3: every service, called directly, refuses every kind of bad token."""

from __future__ import annotations

import base64
import functools
import json
import time

import jwt
import pytest
from cakap_shared.auth import TokenVerifier, jwk_json_from_pem
from cakap_shared.testing import (
    bearer,
    kid_of,
    mint_token,
    rsa_keypair,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

pytestmark = pytest.mark.security


@functools.cache
def other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {
        "sub": "p1",
        "roles": ["admin"],
        "iss": "cakap-personnel",
        "aud": "cakap",
        "iat": now,
        "exp": now + 300,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict, headers: dict | None = None, key: str | None = None) -> str:
    key = key or rsa_keypair()[0]
    return jwt.encode(
        payload, key, algorithm="RS256", headers={"kid": kid_of(key), **(headers or {})}
    )


@functools.cache
def bad_tokens() -> dict[str, str]:
    private, public = rsa_keypair()
    stranger = other_key()
    return {
        "alg none": f"{b64({'alg': 'none', 'kid': kid_of(private)})}.{b64(claims())}.",
        "HS256 with the public key": _hs256_with_public_key(claims(), public, kid_of(private)),
        "wrong aud": signed(claims(aud="somebody-else")),
        "wrong iss": signed(claims(iss="evil-issuer")),
        "no exp": signed(claims(exp=None)),
        "expired": signed(claims(iat=int(time.time()) - 3600, exp=int(time.time()) - 60)),
        "nbf ahead": signed(claims(nbf=int(time.time()) + 3600)),
        "unknown kid": jwt.encode(claims(), private, algorithm="RS256", headers={"kid": "nope"}),
        "signed with another key, our kid": jwt.encode(
            claims(), stranger, algorithm="RS256", headers={"kid": kid_of(private)}
        ),
        "signed with another key, its kid": signed(claims(), key=stranger),
        "jku header": signed(claims(), headers={"jku": "http://evil.example/jwks.json"}),
        "jwk header": signed(claims(), headers={"jwk": json.loads(jwk_json_from_pem(stranger))}),
        "forged payload": _forge(signed(claims(roles=["asn"]))),
        "garbage": "not.a.token",
    }


def _hs256_with_public_key(payload: dict, public_pem: str, kid: str) -> str:
    # PyJWT refuses to HMAC with a PEM key, so sign by hand as an attacker would.
    import hashlib
    import hmac

    head = b64({"alg": "HS256", "typ": "JWT", "kid": kid})
    body = b64(payload)
    mac = hmac.new(public_pem.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _forge(token: str) -> str:
    head, _, signature = token.split(".")
    return f"{head}.{b64(claims(roles=['admin']))}.{signature}"


@pytest.mark.parametrize("case", sorted(bad_tokens()))
def test_bad_tokens_are_refused_when_a_service_is_called_directly(service_app, case):
    token = bad_tokens()[case]
    response = service_app.test_client().get("/api/v1/_whoami", headers=bearer(token))
    assert response.status_code == 401, case
    assert response.mimetype == "application/problem+json"


def test_a_valid_token_is_accepted(service_app):
    response = service_app.test_client().get(
        "/api/v1/_whoami", headers=bearer(mint_token("p1", ["asn"]))
    )
    assert response.status_code == 200
    assert response.get_json() == {"id": "p1"}


def test_a_service_token_for_another_audience_is_refused(service_app):
    token = mint_token(
        "service:x", ["service"], audience="not-" + service_app.config["SERVICE_NAME"]
    )
    assert (
        service_app.test_client().get("/api/v1/_whoami", headers=bearer(token)).status_code == 401
    )


def test_verifier_fails_closed_without_reachable_keys():
    verifier = TokenVerifier(
        issuer="cakap-personnel", audiences=["cakap"], jwks_url="http://127.0.0.1:1/jwks.json"
    )
    with pytest.raises(Exception) as caught:
        verifier.verify(mint_token("p1", ["admin"]))
    assert caught.type.__name__ == "InvalidToken"
