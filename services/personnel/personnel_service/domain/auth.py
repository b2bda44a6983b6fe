"""Service tokens for peers, and who the signed-in caller is (password sign-in: accounts.py)."""

from __future__ import annotations

import hmac
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app

from ..extensions import db
from ..models import Person


def service_token(client_id: str, client_secret: str, audience: str) -> dict[str, Any]:
    """A `service` token for a Cakap service calling `audience`; 401 for a wrong secret."""
    secret = current_app.config.get("SERVICE_SECRET")
    known = set(current_app.config["SERVICE_URLS"]) | {"personnel"}
    if (
        not secret
        or not hmac.compare_digest(client_secret.encode(), secret.encode())
        or client_id not in known
    ):
        audit("auth.service_refused", client_id=client_id)
        raise CakapError(401, "Unknown service client or wrong secret.")
    if audience not in known:
        raise CakapError(422, "Unknown audience.", errors={"audience": ["not a Cakap service"]})
    issuer = current_app.extensions["cakap_token_issuer"]
    return {
        "access_token": issuer.service_token(client_id, audience),
        "token_type": "Bearer",
        "expires_in": issuer.service_ttl,
    }


def me(principal: Principal) -> dict[str, Any]:
    """The caller: id, login name, name, roles; for ASN also NIP, unit and supervisor."""
    person = db.session.get(Person, principal.id)
    if person is None or principal.is_service:
        raise CakapError(404, "No person behind this token.")
    caller = {
        "id": person.id,
        "username": principal.username,
        "name": person.name,
        "roles": sorted(principal.roles),
    }
    if person.nip:
        caller.update(
            nip=person.nip, unit_code=person.unit_code, supervisor_id=person.supervisor_id
        )
    return caller
