"""Training providers: admins maintain them, everyone signed in reads them."""

from __future__ import annotations

from typing import Any

from cakap_shared.problems import CakapError
from sqlalchemy import Select, select

from ..extensions import db
from ..models import Course, Provider


def load(provider_id: str) -> Provider:
    """The provider, or 404."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise CakapError(404, "No provider with this id.")
    return provider


def _code_free(code: str, own_id: str | None = None) -> None:
    other = db.session.scalar(select(Provider.id).where(Provider.code == code))
    if other is not None and other != own_id:
        raise CakapError(409, f"A provider with code {code} exists.", errors={"code": ["taken"]})


def listing() -> Select[Any]:
    """Providers by name."""
    return select(Provider).order_by(Provider.name)


def create(body: dict[str, Any]) -> Provider:
    """A new provider; 409 for a code that exists."""
    _code_free(body["code"])
    provider = Provider(**body)
    db.session.add(provider)
    db.session.commit()
    return provider


def update(provider_id: str, body: dict[str, Any]) -> Provider:
    """Change the given fields; 409 for a code another provider has."""
    provider = load(provider_id)
    if "code" in body:
        _code_free(body["code"], provider.id)
    for name, value in body.items():
        setattr(provider, name, value)
    db.session.commit()
    return provider


def delete(provider_id: str) -> None:
    """Remove a provider no course refers to; 409 otherwise."""
    provider = load(provider_id)
    if db.session.scalar(select(Course.id).where(Course.provider_id == provider.id).limit(1)):
        raise CakapError(409, "Courses refer to this provider; archive or move them first.")
    db.session.delete(provider)
    db.session.commit()
