"""The people list: filters, the below-JP-target test in SQL, sorting and paging.

Every filter is a WHERE clause and the page is one LIMIT/OFFSET query plus a count,
so a list of 50,000 people costs two indexed queries, never a walk in Python.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cakap_shared.auth import Principal
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import selectinload

from . import rights
from . import units as unit_tree
from .extensions import db
from .jp import Targets
from .models import Account, JpEntry, Person

# Sort keys the API accepts; ties always end on the id so pages never overlap.
SORTS: dict[str, Any] = {
    "name": Person.name,
    "nip": Person.nip,
    "grade": Person.grade,
    "unit_code": Person.unit_code,
    "position": Person.position,
    "updated_at": Person.updated_at,
}


def list_people(principal: Principal, args: dict[str, Any], per_page: int) -> dict[str, Any]:
    """{"rows", "total"} of the people the caller may see that match `args`."""
    everyone = principal.is_admin or principal.is_service
    query = select(Person)
    if not everyone:
        query = query.where(
            or_(Person.id == principal.id, Person.id.in_(rights.subordinate_ids(principal.id)))
        )
    query = _filtered(query, args, everyone)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(selectinload(Person.account))
        .order_by(*_order(args.get("sort") or "name"))
        .limit(per_page)
        .offset((args["page"] - 1) * per_page)
    ).all()
    return {"rows": rows, "total": total}


def _filtered(query: Select, args: dict[str, Any], everyone: bool) -> Select:
    if args.get("q"):
        words = args["q"].strip()
        match = func.lower(Person.name).contains(words.lower(), autoescape=True)
        if everyone and words.isdigit():
            match = or_(match, Person.nip.startswith(words, autoescape=True))
        query = query.where(match)
    if args.get("unit_code"):
        codes = (
            unit_tree.subtree_codes(args["unit_code"])
            if args.get("include_subunits")
            else {args["unit_code"]}
        )
        query = query.where(Person.unit_code.in_(sorted(codes)))
    for field in ("grade", "position_type", "status", "employment_type"):
        if args.get(field):
            query = query.where(getattr(Person, field) == args[field])
    if args.get("role"):
        # Roles are stored comma-separated; matching ",role," on a padded list is exact.
        padded = literal(",").concat(Account.roles).concat(",")
        query = query.where(
            Person.id.in_(select(Account.person_id).where(padded.contains(f",{args['role']},")))
        )
    if args.get("below_target"):
        earned = (
            select(JpEntry.person_id, func.sum(JpEntry.jp).label("jp"))
            .where(JpEntry.year == args["year"])
            .group_by(JpEntry.person_id)
            .subquery()
        )
        query = query.outerjoin(earned, earned.c.person_id == Person.id).where(
            Person.status == "active",
            Person.nip.is_not(None),
            func.coalesce(earned.c.jp, 0) < target_expression(),
        )
    return query


def _order(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    column = SORTS[sort.lstrip("-")]
    first = column.desc() if descending else column.asc()
    return [first.nulls_last(), Person.id]


def target_expression() -> ColumnElement[int]:
    """Each person's yearly target as SQL, grouped by value so it stays short.

    The same rules as jp.Targets (agency override, type-wide override, configuration),
    evaluated once per unit here instead of once per person in Python.
    """
    targets = Targets()
    kind = func.coalesce(Person.employment_type, "PNS")
    branches = []
    for employment_type in ("PNS", "PPPK"):
        usual = targets.value(employment_type, None)
        by_value: dict[int, list[str]] = defaultdict(list)
        for code in targets.units:
            value = targets.value(employment_type, unit_tree.agency_of(code, targets.units))
            if value != usual:
                by_value[value].append(code)
        for value, codes in sorted(by_value.items()):
            branches.append((and_(kind == employment_type, Person.unit_code.in_(codes)), value))
        branches.append((kind == employment_type, usual))
    return case(*branches, else_=targets.value("PNS", None))
