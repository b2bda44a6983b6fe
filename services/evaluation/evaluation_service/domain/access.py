"""Who may see and change what: one place for the object-level rules."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal, current_principal, require_roles
from cakap_shared.problems import CakapError

from ..extensions import db


def author() -> Principal:
    """Trainers and admins write question banks and assessments."""
    return require_roles("trainer", "admin")


def not_found(what: str = "object") -> CakapError:
    """404: the object does not exist or the caller must not know it does."""
    return CakapError(404, f"No such {what}.")


def get_owned(model: type, object_id: str, what: str) -> Any:
    """Load an object with `owner_id` that the caller owns (or any, for admins); else 404."""
    principal = current_principal()
    obj = db.session.get(model, object_id)
    if obj is None or not (principal.is_admin or obj.owner_id == principal.id):
        raise not_found(what)
    return obj
