"""The unit tree: few hundred rows at most, so it is read whole and walked in memory."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from sqlalchemy import func, select

from ..extensions import db
from ..models import Unit


def all_units() -> dict[str, Unit]:
    """Every unit by code."""
    return {u.code: u for u in db.session.scalars(select(Unit))}


def children_map(units: dict[str, Unit]) -> dict[str | None, list[str]]:
    """Parent code (None for the top) to child codes, sorted."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for unit in units.values():
        children[unit.parent_code].append(unit.code)
    for codes in children.values():
        codes.sort()
    return children


def subtree_codes(code: str, units: dict[str, Unit] | None = None) -> set[str]:
    """The unit and every unit below it."""
    units = units if units is not None else all_units()
    children = children_map(units)
    found, stack = set(), [code]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def agency_of(code: str | None, units: dict[str, Unit]) -> str | None:
    """The root OPD of a unit (the agency whose JP targets apply)."""
    seen: set[str] = set()
    while code is not None and code in units and code not in seen:
        seen.add(code)
        parent = units[code].parent_code
        if parent is None:
            return code
        code = parent
    return code


def tree() -> list[dict[str, Any]]:
    """The units as nested dicts, OPD first."""
    units = all_units()
    children = children_map(units)

    def node(code: str) -> dict[str, Any]:
        unit = units[code]
        return {
            "code": unit.code,
            "name": unit.name,
            "parent_code": unit.parent_code,
            "children": [node(child) for child in children.get(code, [])],
        }

    return [node(code) for code in children.get(None, [])]


def node(code: str) -> dict[str, Any]:
    """A unit with its sub-units nested (as in tree); 404 for an unknown code."""
    for root in tree():
        found = _find(root, code)
        if found is not None:
            return found
    raise CakapError(404, "No such unit.")


def _find(node: dict[str, Any], code: str) -> dict[str, Any] | None:
    if node["code"] == code:
        return node
    for child in node["children"]:
        found = _find(child, code)
        if found is not None:
            return found
    return None


def forest() -> dict[str, Any]:
    """Every unit as a forest (OPD at the top), and how many there are."""
    return {"items": tree(), "total": db.session.scalar(select(func.count()).select_from(Unit))}


def create(code: str, name: str, parent_code: str | None, actor: str) -> dict[str, Any]:
    """Add (commit, audit) a unit under an existing parent, or at the top; 409 for a taken
    code. The new unit as a tree node, without children."""
    if db.session.get(Unit, code) is not None:
        raise CakapError(409, f"A unit with code {code} already exists.")
    if parent_code and db.session.get(Unit, parent_code) is None:
        raise invalid("parent_code", f"there is no unit {parent_code}")
    unit = Unit(code=code, name=name.strip(), parent_code=parent_code or None)
    db.session.add(unit)
    db.session.commit()
    audit("unit.created", actor=actor, unit_code=unit.code)
    return {"code": unit.code, "name": unit.name, "parent_code": unit.parent_code, "children": []}
