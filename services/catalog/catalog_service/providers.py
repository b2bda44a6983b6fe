"""Training providers: admins maintain them, everyone signed in reads them."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import require_roles
from cakap_shared.db import PageArgsSchema, paginate
from cakap_shared.problems import CakapError
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from .extensions import db
from .models import Course, Provider
from .schemas import ProviderSchema, ProviderUpdateSchema, page_of

blp = Blueprint("providers", __name__, url_prefix="/api/v1", description="Training providers")


def _load(provider_id: str) -> Provider:
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise CakapError(404, "No provider with this id.")
    return provider


def _code_free(code: str, own_id: str | None = None) -> None:
    other = db.session.scalar(select(Provider.id).where(Provider.code == code))
    if other is not None and other != own_id:
        raise CakapError(409, f"A provider with code {code} exists.", errors={"code": ["taken"]})


@blp.route("/providers")
class Providers(MethodView):
    """All providers."""

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_of(ProviderSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List providers by name."""
        stmt = select(Provider).order_by(Provider.name)
        return paginate(db, stmt, args["page"], args["per_page"])

    @blp.arguments(ProviderSchema)
    @blp.response(201, ProviderSchema)
    def post(self, body: dict[str, Any]) -> Provider:
        """Add a provider (admin)."""
        require_roles("admin")
        _code_free(body["code"])
        provider = Provider(**body)
        db.session.add(provider)
        db.session.commit()
        return provider


@blp.route("/providers/<provider_id>")
class ProvidersById(MethodView):
    """One provider."""

    @blp.response(200, ProviderSchema)
    def get(self, provider_id: str) -> Provider:
        """A provider with its contact."""
        return _load(provider_id)

    @blp.arguments(ProviderUpdateSchema)
    @blp.response(200, ProviderSchema)
    def patch(self, body: dict[str, Any], provider_id: str) -> Provider:
        """Change a provider (admin)."""
        require_roles("admin")
        provider = _load(provider_id)
        if "code" in body:
            _code_free(body["code"], provider.id)
        for name, value in body.items():
            setattr(provider, name, value)
        db.session.commit()
        return provider

    @blp.response(204)
    def delete(self, provider_id: str) -> None:
        """Remove a provider no course refers to (admin)."""
        require_roles("admin")
        provider = _load(provider_id)
        if db.session.scalar(select(Course.id).where(Course.provider_id == provider.id).limit(1)):
            raise CakapError(409, "Courses refer to this provider; archive or move them first.")
        db.session.delete(provider)
        db.session.commit()
