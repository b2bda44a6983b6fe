"""Request and response schemas of the personnel API."""

from __future__ import annotations

import marshmallow as ma


class TokenRequestSchema(ma.Schema):
    """Sign-in with a login name or NIP and a password."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=1024)
    )


class ServiceTokenRequestSchema(ma.Schema):
    """Client credentials of a Cakap service asking for a token to call `audience`."""

    client_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))
    client_secret = ma.fields.String(required=True, load_only=True)
    audience = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))


class TokenSchema(ma.Schema):
    """An issued access token."""

    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()


class MeSchema(ma.Schema):
    """The signed-in caller."""

    id = ma.fields.String()
    username = ma.fields.String()
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    nip = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)
