"""Service tokens for peers, and who the signed-in caller is (password sign-in: accounts.py)."""

from __future__ import annotations

import hmac
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import DriverRead
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import bindparam, select

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


# Every signed-in page asks who its caller is: five text columns, read on a driver
# connection without building a Person or a Core result (issue 20: an ORM get was some
# 40 % of this request, Core's execute a sixth).
_CALLER = DriverRead(
    select(Person.id, Person.name, Person.nip, Person.unit_code, Person.supervisor_id).where(
        Person.id == bindparam("person_id")
    )
)


def me(principal: Principal) -> dict[str, Any]:
    """The caller: id, login name, name, roles; for ASN also NIP, unit and supervisor."""
    person = None if principal.is_service else _CALLER.first(db.engine, person_id=principal.id)
    if person is None:
        raise CakapError(404, "No person behind this token.")
    person_id, name, nip, unit_code, supervisor_id = person
    caller = {
        "id": person_id,
        "username": principal.username,
        "name": name,
        "roles": sorted(principal.roles),
    }
    if nip:
        caller.update(nip=nip, unit_code=unit_code, supervisor_id=supervisor_id)
    return caller
