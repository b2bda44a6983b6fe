"""Token checks at the gateway (SECURITY.md #3): every bad token is 401 before forwarding."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cakap_shared.testing import bearer, kid_of, mint_token, rsa_keypair
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "p-1",
        "roles": ["asn"],
        "iss": "cakap-personnel",
        "aud": "cakap",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _other_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def forged() -> str:
    header, payload, signature = mint_token("p-1", ["asn"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    return ".".join([header, _b64(json.dumps(claims).encode()), signature])


def unsigned() -> str:
    header = {"alg": "none", "typ": "JWT", "kid": kid_of(rsa_keypair()[1])}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims()).encode())}."


def hs256_with_public_key() -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": kid_of(rsa_keypair()[1])}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims()).encode())}"
    mac = hmac.new(rsa_keypair()[1].encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def raw(claims: dict[str, object], **headers: object) -> str:
    private = rsa_keypair()[0]
    return jwt.encode(
        claims, private, algorithm="RS256", headers={"kid": kid_of(private), **headers}
    )


def other_key_same_kid() -> str:
    return jwt.encode(
        _claims(),
        _other_private_pem(),
        algorithm="RS256",
        headers={"kid": kid_of(rsa_keypair()[0])},
    )


BAD_TOKENS = {
    "garbage": lambda: "not-a-token",
    "forged payload": forged,
    "expired": lambda: mint_token("p-1", ["asn"], expires_in=-60),
    "alg none": unsigned,
    "HS256 with the public key": hs256_with_public_key,
    "signed with another key": lambda: mint_token("p-1", ["asn"], private_pem=_other_private_pem()),
    "another key, our kid": other_key_same_kid,
    "wrong audience (service token)": lambda: mint_token(
        "service:catalog", ["service"], audience="catalog"
    ),
    "wrong issuer": lambda: mint_token("p-1", ["asn"], issuer="evil"),
    "no exp": lambda: raw(_claims(exp=None)),
    "no iat": lambda: raw(_claims(iat=None)),
    "nbf ahead": lambda: raw(_claims(nbf=int(time.time()) + 600)),
    "jku header": lambda: mint_token("p-1", ["asn"], headers={"jku": "http://evil/jwks.json"}),
    "jwk header": lambda: mint_token("p-1", ["asn"], headers={"jwk": {"kty": "RSA"}}),
    "unknown kid": lambda: raw(_claims(), kid="nobody"),
    "service role with user audience": lambda: mint_token("service:catalog", ["service"]),
}


@pytest.mark.security
@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
def test_bad_tokens_are_refused_before_forwarding(client, services, name):
    answer = client.get("/api/v1/courses", headers=bearer(BAD_TOKENS[name]()))
    assert answer.status_code == 401, name
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.json["status"] == 401
    assert answer.json["request_id"] == answer.headers["X-Request-ID"]
    assert services["catalog"].requests == []


@pytest.mark.security
def test_missing_token_and_other_schemes_are_refused(client, services):
    assert client.get("/api/v1/courses").status_code == 401
    assert client.get("/api/v1/courses", headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert services["catalog"].requests == []


def test_valid_token_is_forwarded_with_its_header(client, services):
    token = mint_token("p-1", ["asn"])
    for _ in range(2):  # the second one comes from the cache
        assert client.get("/api/v1/courses", headers=bearer(token)).status_code == 200
    assert services["catalog"].requests[-1]["headers"]["authorization"] == f"Bearer {token}"


def test_public_routes_pass_without_token(client, services):
    answer = client.post("/api/v1/auth/token", json={"username": "a", "password": "b"})
    assert answer.status_code == 200
    assert answer.json["service"] == "personnel"
    # a bad token on a public route is the service's business (it ignores it)
    answer = client.post("/api/v1/auth/token", headers=bearer("junk"), json={})
    assert answer.status_code == 200
    # `*` is one segment
    assert client.get("/api/v1/courses/c-1/badge").status_code == 200
    assert client.get("/api/v1/courses/c-1/x/badge").status_code == 401
    # only the declared methods
    assert client.get("/api/v1/auth/token").status_code == 401
    assert client.post("/api/v1/courses/c-1/badge").status_code == 401
    # a non-API path a service declared public (personnel's key set)
    assert client.get("/.well-known/jwks.json").json["service"] == "personnel"


def test_service_cannot_make_another_services_route_public(fake_service, make_gateway):
    sneaky = fake_service(
        "sneaky",
        ["/api/v1/sneaky"],
        public_routes=[
            {"methods": ["GET"], "path": "/api/v1/x"},
            {"methods": ["GET"], "path": "/x"},
        ],
    )
    owner = fake_service("owner", ["/api/v1/x", "/x"])
    from werkzeug.test import Client

    client = Client(make_gateway(sneaky, owner))
    assert client.get("/api/v1/x").status_code == 401
    assert client.get("/x").json["service"] == "owner"
