"""Training providers: admins maintain them, everyone signed in reads them."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import require_roles
from cakap_shared.db import paginate
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import providers
from ..extensions import db
from ..models import PROVIDER_KINDS, Provider
from ._common import V, code_format

blp = Blueprint("providers", __name__, url_prefix="/api/v1", description="Training providers")


class ProviderSchema(ma.Schema):
    """A training provider with its contact."""

    id = ma.fields.String(dump_only=True)
    code = ma.fields.String(required=True, validate=[V.Length(min=1, max=40), code_format()])
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=V.OneOf(PROVIDER_KINDS))
    contact_name = ma.fields.String(allow_none=True, validate=V.Length(max=200))
    contact_email = ma.fields.Email(allow_none=True, validate=V.Length(max=200))
    contact_phone = ma.fields.String(allow_none=True, validate=V.Length(max=50))
    address = ma.fields.String(allow_none=True, validate=V.Length(max=1000))
    created_at = UtcDateTime(dump_only=True)


class ProviderUpdateSchema(ProviderSchema):
    """Changes to a provider; every field optional."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


@blp.route("/providers")
class Providers(MethodView):
    """All providers."""

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(ProviderSchema, "ProviderPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List providers by name."""
        return paginate(db, providers.listing(), args["page"], args["per_page"])

    @blp.arguments(ProviderSchema)
    @blp.response(201, ProviderSchema)
    def post(self, body: dict[str, Any]) -> Provider:
        """Add a provider (admin)."""
        require_roles("admin")
        return providers.create(body)


@blp.route("/providers/<provider_id>")
class ProvidersById(MethodView):
    """One provider."""

    @blp.response(200, ProviderSchema)
    def get(self, provider_id: str) -> Provider:
        """A provider with its contact."""
        return providers.load(provider_id)

    @blp.arguments(ProviderUpdateSchema)
    @blp.response(200, ProviderSchema)
    def patch(self, body: dict[str, Any], provider_id: str) -> Provider:
        """Change a provider (admin)."""
        require_roles("admin")
        return providers.update(provider_id, body)

    @blp.response(204)
    def delete(self, provider_id: str) -> None:
        """Remove a provider no course refers to (admin)."""
        require_roles("admin")
        providers.delete(provider_id)
