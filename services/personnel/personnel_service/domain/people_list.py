"""The people list: filters, the below-JP-target test in SQL, sorting and paging.

Every filter is a WHERE clause on `people` (the below-target count on PostgreSQL adds one
hash-joined subquery), so the count is one scan and a page is found on an index: the
page's ids come from a LIMIT/OFFSET over the sort key's index (`ix_people_name_id` holds
name and id, so paging by name never reads a row it skips), and only those rows are then
loaded. A list of 50,000 people never walks Python.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import MAX_PER_PAGE
from sqlalchemy import ColumnElement, Select, func, literal, or_, select
from sqlalchemy.orm import selectinload

from ..clock import today
from ..extensions import db
from ..models import Account, JpEntry, Person
from . import rights
from . import units as unit_tree
from .jp import Targets
from .jp import target_expression as jp_target_expression
from .people import SeenPerson, listing_relation

# Sort keys the API accepts; ties always end on the id so pages never overlap.
SORTS: dict[str, Any] = {
    "name": Person.name,
    "nip": Person.nip,
    "grade": Person.grade,
    "unit_code": Person.unit_code,
    "position": Person.position,
    "updated_at": Person.updated_at,
}


def page(principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """A page of the people the caller may see that match `args`, as the caller sees them.

    `year` (of below_target) defaults to this year; `per_page` is capped at MAX_PER_PAGE.
    """
    args = {**args, "year": args.get("year") or today().year}
    per_page = min(args["per_page"], MAX_PER_PAGE)
    rows, total = _rows(principal, args, per_page)
    return {
        "items": [SeenPerson(p, listing_relation(principal, p)) for p in rows],
        "total": total,
        "page": args["page"],
        "per_page": per_page,
    }


def _rows(principal: Principal, args: dict[str, Any], per_page: int) -> tuple[list[Person], int]:
    """The page's people in sort order, and how many match in all."""
    everyone = principal.is_admin or principal.is_service
    conditions = _conditions(args, everyone)
    if not everyone:
        conditions.append(
            or_(Person.id == principal.id, Person.id.in_(rights.subordinate_ids(principal.id)))
        )
    total = db.session.scalar(_count(conditions, args))
    below = (
        [_earned_per_person(args["year"]) < target_expression()] if args.get("below_target") else []
    )
    page_ids = db.session.scalars(
        select(Person.id)
        .where(*conditions, *below)
        .order_by(*_order(args.get("sort") or "name"))
        .limit(per_page)
        .offset((args["page"] - 1) * per_page)
    ).all()
    loaded = db.session.scalars(
        select(Person).where(Person.id.in_(page_ids)).options(selectinload(Person.account))
    ).all()
    by_id = {person.id: person for person in loaded}
    return [by_id[i] for i in page_ids if i in by_id], total


def _conditions(args: dict[str, Any], everyone: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if args.get("q"):
        words = args["q"].strip()
        match = func.lower(Person.name).contains(words.lower(), autoescape=True)
        if everyone and words.isdigit():
            match = or_(match, Person.nip.startswith(words, autoescape=True))
        conditions.append(match)
    if args.get("unit_code"):
        codes = (
            unit_tree.subtree_codes(args["unit_code"])
            if args.get("include_subunits")
            else {args["unit_code"]}
        )
        conditions.append(Person.unit_code.in_(sorted(codes)))
    for field in ("grade", "position_type", "status", "employment_type"):
        if args.get(field):
            conditions.append(_filter_column(field, args) == args[field])
    if args.get("role"):
        # Roles are stored comma-separated; matching ",role," on a padded list is exact.
        padded = literal(",").concat(Account.roles).concat(",")
        conditions.append(
            Person.id.in_(select(Account.person_id).where(padded.contains(f",{args['role']},")))
        )
    if args.get("below_target"):
        # The JP test itself differs between the count and the page (_count, _rows).
        conditions += [Person.status == "active", Person.nip.is_not(None)]
    return conditions


def _filter_column(field: str, args: dict[str, Any]) -> ColumnElement[Any]:
    """The column a filter tests; the grade, unless the list is sorted by it, wrapped.

    ix_people_grade_id is there to read the list in golongan order. As a filter, one
    golongan is about an eighth of everyone: SQLite took that index, fetched those rows one
    by one and sorted them (13 ms at 50,000 people) instead of walking the sort key's index
    and stopping after a page (1 ms). `coalesce(grade, NULL)` is the same value with no
    index to take, and costs SQLite next to nothing (`grade || ''` added 4 ms to a count).
    PostgreSQL keeps it as COALESCE(grade) and also leaves the index to the sort, as before
    the index existed.
    """
    column = getattr(Person, field)
    if field == "grade" and (args.get("sort") or "name").lstrip("-") != "grade":
        return func.coalesce(column, None)
    return column


def _earned_per_person(year: int) -> ColumnElement[int]:
    """JP a person earned in `year`, summed from the covering index (person_id, year, jp)."""
    return (
        select(func.coalesce(func.sum(JpEntry.jp), 0))
        .where(JpEntry.person_id == Person.id, JpEntry.year == year)
        .scalar_subquery()
    )


def _count(conditions: list[ColumnElement[bool]], args: dict[str, Any]) -> Select:
    """How many match. Below target, a page walks the name index and stops after per_page
    matches, summing per person; the count sees everyone, so PostgreSQL gets the year's
    sums as one grouped subquery it hash-joins (per person it took 2.5 times as long), and
    SQLite, which has no hash join and would index that subquery on every request, sums
    per person from the covering index."""
    query = select(func.count(Person.id)).where(*conditions)
    if not args.get("below_target"):
        return query
    if db.engine.dialect.name != "postgresql":
        return query.where(_earned_per_person(args["year"]) < target_expression())
    earned = (
        select(JpEntry.person_id, func.sum(JpEntry.jp).label("jp"))
        .where(JpEntry.year == args["year"])
        .group_by(JpEntry.person_id)
        .subquery()
    )
    return query.outerjoin(earned, earned.c.person_id == Person.id).where(
        func.coalesce(earned.c.jp, 0) < target_expression()
    )


def _order(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    column = SORTS[sort.lstrip("-")]
    first = column.desc() if descending else column.asc()
    # The id runs the same way as the key, so one (key, id) index serves both directions;
    # NULLS LAST only where the column may be null (it keeps PostgreSQL off that index).
    if Person.__table__.c[column.key].nullable:
        first = first.nulls_last()
    return [first, Person.id.desc() if descending else Person.id.asc()]


def target_expression() -> ColumnElement[int]:
    """Each person's yearly target as SQL: jp's rule, over every unit."""
    targets = Targets()
    return jp_target_expression(targets, targets.units)
