"""Sign-in, service tokens, the public key set, and /me."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, public
from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import accounts, auth


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


class TokenPairSchema(TokenSchema):
    """An access token and the refresh token that gets the next one."""

    refresh_token = ma.fields.String()
    refresh_expires_in = ma.fields.Integer(
        metadata={"description": "Seconds until the refresh family ends (sign in again then)"}
    )
    password_change_required = ma.fields.Boolean(
        metadata={"description": "True after an admin reset: the token only changes the password"}
    )


class MeSchema(ma.Schema):
    """The signed-in caller."""

    id = ma.fields.String()
    username = ma.fields.String()
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    nip = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)


blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in and tokens")


@blp.route("/auth/token")
@public
class Tokens(MethodView):
    """Password sign-in."""

    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong user name or password")
    @blp.alt_response(403, description="The account is deactivated (right password)")
    @blp.alt_response(429, description="Too many failed attempts; see Retry-After")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Exchange a user name (or NIP) and password for an access and a refresh token."""
        return accounts.sign_in(
            body["username"], body["password"], request.remote_addr or "unknown"
        )


@blp.route("/auth/service-token")
@public
class ServiceTokens(MethodView):
    """Client-credentials tokens for service-to-service calls."""

    @blp.arguments(ServiceTokenRequestSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Unknown client or wrong secret")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Issue a `service` token for a Cakap service calling another."""
        return auth.service_token(body["client_id"], body["client_secret"], body["audience"])


@blp.route("/me")
class Me(MethodView):
    """The caller."""

    @blp.response(200, MeSchema)
    def get(self) -> dict[str, Any]:
        """Who am I: id, user name, name, roles; for ASN also NIP, unit and supervisor."""
        return auth.me(current_principal())


def jwks_view():
    """The public keys that verify Cakap access tokens."""
    response = jsonify(current_app.extensions["cakap_token_issuer"].jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
