"""Bulk people import and export, fast enough for a whole province's HR file.

The file is validated in memory first (domain/people_file.py), then against the database
with a handful of set-based queries: units, the people already known by NIP, and
the supervisor graph the file would produce (supervisors anywhere in the file,
in any order; cycles refused). Only rows that passed every check are written,
in chunks with bulk statements, each chunk inside a savepoint; a chunk that still
fails (a concurrent writer took a NIP) is replayed row by row, one savepoint per
row, so every row is kept whole or not at all.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from cakap_shared.db import new_id, utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import and_, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..clock import today
from ..extensions import db, events
from ..models import Account, ImportJobPerson, OutboxEvent, Person, PersonUnitHistory, Unit
from .people import PUBLISHED_FIELDS, UNUSABLE_PASSWORD
from .people_file import (
    PeopleFileError,
    PersonRow,
    RowError,
    read_people_file,
    write_people_csv,
    write_people_xlsx,
)

CHUNK = 2000
# Fields an import sets; optional columns only when the file has them.
_ALWAYS = ("name", "unit_code", "position", "grade", "supervisor_id", "employment_type")
_OPTIONAL = ("position_type", "status", "email")
_PEOPLE = Person.__table__
_HISTORY = PersonUnitHistory.__table__
_OUTBOX = OutboxEvent.__table__
_ACCOUNTS = Account.__table__
_JOB_PEOPLE = ImportJobPerson.__table__


@dataclass(slots=True)
class _Planned:
    """One row that passed every check, with what it will write."""

    row: PersonRow
    person_id: str
    values: dict[str, Any]
    existing: dict[str, Any] | None  # the current record, None for a new person


# progress(stage, rows_done, rows_total): a background job shows it (domain/import_jobs.py).
Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def import_upload(data: bytes, filename: str, actor: str) -> dict[str, Any]:
    """Import an uploaded people file at once (import_people) and audit what it did."""
    result = import_people(data)
    audit(
        "people.imported",
        actor=actor,
        filename=filename[:200],
        created=result["created"],
        updated=result["updated"],
        errors=len(result["errors"]),
    )
    return result


def import_people(
    data: bytes, progress: Progress = _no_progress, job_id: str | None = None
) -> dict[str, Any]:
    """Import a people file; {"created", "updated", "unchanged", "errors"}. Commits.

    With `job_id`, the people it creates are recorded for that job (activation per import).

    With `progress`, it is called after reading and after each written chunk; it may
    commit (a job does, to show its progress), which keeps each written chunk.
    """
    config = current_app.config
    progress("reading", 0, 0)
    try:
        read = read_people_file(
            data, today(), max_bytes=config["IMPORT_MAX_BYTES"], max_rows=config["IMPORT_MAX_ROWS"]
        )
    except PeopleFileError as err:
        raise CakapError(err.status, err.detail, errors={"file": [err.detail]}) from None
    errors: list[RowError] = list(read.errors)
    rows = read.rows
    progress("checking", 0, len(rows) + len(read.errors))
    units = set(db.session.scalars(select(Unit.code)))
    known = _known_people()
    id_to_nip = {record["id"]: nip for nip, record in known.items()}

    rows = [row for row in rows if _unit_ok(row, units, errors)]
    rows = _resolve_supervisors(rows, known, id_to_nip, errors)
    plans = _plan(rows, known, set(read.columns))
    created, updated = _write(plans, errors, progress, job_id)
    db.session.commit()
    if created or updated:
        _refresh_statistics()
    errors.sort(key=lambda e: (e.row, e.field))
    return {
        "created": created,
        "updated": updated,
        "unchanged": sum(1 for plan in plans if not _changes(plan)),
        "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in errors],
    }


def _refresh_statistics() -> None:
    """Let PostgreSQL plan with the people just written (ANALYZE, as after any bulk load).

    Until autovacuum gets to it (never where it is off), the planner still sees the table as
    it was: after 50,000 rows into an empty table it expected one row per unit and nested a
    loop over the JP sums of the unit compliance report, which then ran for minutes. Without
    the table's ownership PostgreSQL only warns and skips it.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE people"))
        db.session.commit()


def _known_people() -> dict[str, dict[str, Any]]:
    """Everyone with a NIP, by NIP, with the fields an import may change."""
    columns = [_PEOPLE.c.id, _PEOPLE.c.nip, *(_PEOPLE.c[name] for name in _ALWAYS + _OPTIONAL)]
    result = db.session.execute(select(*columns).where(_PEOPLE.c.nip.is_not(None)))
    return {row.nip: dict(row._mapping) for row in result}


def _unit_ok(row: PersonRow, units: set[str], errors: list[RowError]) -> bool:
    if row.unit_code in units:
        return True
    errors.append(
        RowError(row.row_number, "unit_code", f"there is no unit {row.unit_code} in Cakap")
    )
    return False


def _resolve_supervisors(
    rows: list[PersonRow],
    known: dict[str, dict[str, Any]],
    id_to_nip: dict[str, str],
    errors: list[RowError],
) -> list[PersonRow]:
    """Drop rows whose supervisor is unknown or whose line would loop, until none remain."""
    while True:
        by_nip = {row.nip: row for row in rows}
        kept, dropped = [], False
        for row in rows:
            boss = row.supervisor_nip
            if boss is None or boss in by_nip or boss in known:
                kept.append(row)
                continue
            errors.append(
                RowError(
                    row.row_number,
                    "supervisor_nip",
                    f"no person has NIP {boss}, neither in this file (without errors) nor in Cakap",
                )
            )
            dropped = True
        rows = kept
        if dropped:
            continue
        looping = _rows_in_cycles(rows, known, id_to_nip)
        if not looping:
            return rows
        for row, path in looping:
            errors.append(
                RowError(
                    row.row_number,
                    "supervisor_nip",
                    "the supervisor line would loop back to this person: " + " → ".join(path),
                )
            )
        bad = {row.nip for row, _ in looping}
        rows = [row for row in rows if row.nip not in bad]


def _rows_in_cycles(
    rows: list[PersonRow], known: dict[str, dict[str, Any]], id_to_nip: dict[str, str]
) -> list[tuple[PersonRow, list[str]]]:
    """Rows whose supervisor edge lies on a cycle of the graph the import would produce."""
    from_file = {row.nip: row for row in rows}

    def boss_of(nip: str) -> str | None:
        row = from_file.get(nip)
        if row is not None:
            return row.supervisor_nip
        record = known.get(nip)
        return (
            id_to_nip.get(record["supervisor_id"]) if record and record["supervisor_id"] else None
        )

    state: dict[str, int] = {}  # 1 = on the current walk, 2 = known to end without a loop
    found: list[tuple[PersonRow, list[str]]] = []
    for start in from_file:
        path: list[str] = []
        nip: str | None = start
        while nip is not None and state.get(nip) is None:
            state[nip] = 1
            path.append(nip)
            nip = boss_of(nip)
        if nip is not None and state.get(nip) == 1:  # closed a loop on this walk
            loop = path[path.index(nip) :]
            shown = [*loop, nip]
            found.extend((from_file[n], shown) for n in loop if n in from_file)
        for n in path:
            state[n] = 2
    return found


def _plan(
    rows: list[PersonRow], known: dict[str, dict[str, Any]], columns: set[str]
) -> list[_Planned]:
    """What each valid row writes; ids for new people are chosen now so supervisors resolve."""
    ids = {nip: record["id"] for nip, record in known.items()}
    for row in rows:
        if row.nip not in ids:
            ids[row.nip] = new_id()
    plans = []
    for row in rows:
        values = {
            "name": row.name,
            "unit_code": row.unit_code,
            "position": row.position,
            "grade": row.grade.code,
            "supervisor_id": ids[row.supervisor_nip] if row.supervisor_nip else None,
            "employment_type": row.employment_type.value,
        }
        existing = known.get(row.nip)
        for name in _OPTIONAL:
            if name in columns or existing is None:
                value = getattr(row, name)
                values[name] = getattr(value, "value", value)
        plans.append(_Planned(row, ids[row.nip], values, existing))
    return plans


def _changes(plan: _Planned) -> bool:
    """True when the row creates a person or changes a field."""
    if plan.existing is None:
        return True
    return any(plan.existing.get(name) != value for name, value in plan.values.items())


def _write(
    plans: list[_Planned], errors: list[RowError], progress: Progress, job_id: str | None
) -> tuple[int, int]:
    """Insert new people (supervisors first), then update changed ones; (created, updated)."""
    new = _supervisors_first([p for p in plans if p.existing is None])
    changed = [p for p in plans if p.existing is not None and _changes(p)]
    created = updated = 0
    total = len(new) + len(changed)
    progress("writing", 0, total)
    for start in range(0, len(new), CHUNK):
        created += _apply(
            new[start : start + CHUNK], functools.partial(_insert, job_id=job_id), errors
        )
        progress("writing", min(start + CHUNK, len(new)), total)
    for start in range(0, len(changed), CHUNK):
        updated += _apply(changed[start : start + CHUNK], _update, errors)
        progress("writing", len(new) + min(start + CHUNK, len(changed)), total)
    return created, updated


def _supervisors_first(plans: list[_Planned]) -> list[_Planned]:
    """New people ordered so a new supervisor is inserted before their staff (FK)."""
    by_id = {p.person_id: p for p in plans}
    depth: dict[str, int] = {}
    for plan in plans:
        chain, current = [], plan
        while current is not None and current.person_id not in depth:
            chain.append(current.person_id)
            boss = current.values["supervisor_id"]
            current = by_id.get(boss) if boss else None
        base = depth[current.person_id] + 1 if current is not None else 0
        for offset, person_id in enumerate(reversed(chain)):
            depth[person_id] = base + offset
    return sorted(plans, key=lambda p: depth[p.person_id])


def _apply(chunk: list[_Planned], write: Any, errors: list[RowError]) -> int:
    """Write a chunk in one savepoint; on failure replay it one row per savepoint."""
    try:
        with db.session.begin_nested():
            write(chunk)
        return len(chunk)
    except IntegrityError:
        pass
    done = 0
    for plan in chunk:
        try:
            with db.session.begin_nested():
                write([plan])
            done += 1
        except IntegrityError:
            errors.append(
                RowError(
                    plan.row.row_number,
                    "row",
                    "the row could not be saved (its NIP or supervisor changed during the "
                    "import); import the file again",
                )
            )
    return done


def _insert(chunk: list[_Planned], job_id: str | None = None) -> None:
    """New people, their first unit stay, their person.updated events, and the job's list."""
    now, on = utcnow(), today()
    db.session.execute(
        insert(_PEOPLE),
        [
            {
                "id": p.person_id,
                "nip": p.row.nip,
                "birth_date": p.row.nip_info.birth_date,
                "sex": p.row.nip_info.sex,
                "created_at": now,
                "updated_at": now,
                **p.values,
            }
            for p in chunk
        ],
    )
    _open_unit_history(chunk, on)
    # Everyone imported gets an account (login by NIP) that waits for activation.
    db.session.execute(
        insert(_ACCOUNTS),
        [
            {
                "id": new_id(),
                "person_id": p.person_id,
                "username": p.row.nip,
                "password_hash": UNUSABLE_PASSWORD,
                "roles": "asn",
                "is_active": False,
                "must_change_password": False,
            }
            for p in chunk
        ],
    )
    if job_id is not None:
        db.session.execute(
            insert(_JOB_PEOPLE), [{"job_id": job_id, "person_id": p.person_id} for p in chunk]
        )
    _publish(chunk, now)


def _open_unit_history(people: list[_Planned], on: date) -> None:
    """A current unit-history row (from `on`, open-ended) for each of `people`."""
    db.session.execute(
        insert(_HISTORY),
        [
            {
                "id": new_id(),
                "person_id": p.person_id,
                "unit_code": p.values["unit_code"],
                "from_date": on,
                "to_date": None,
            }
            for p in people
        ],
    )


def _update(chunk: list[_Planned]) -> None:
    """Changed people: one bulk UPDATE per set of columns, unit moves, events."""
    now, on = utcnow(), today()
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for p in chunk:
        names = tuple(sorted(p.values))
        params = {f"v_{name}": p.values[name] for name in names}
        by_columns.setdefault(names, []).append(
            {"b_id": p.person_id, "v_updated_at": now, **params}
        )
    for names, params in by_columns.items():
        statement = (
            update(_PEOPLE)
            .where(_PEOPLE.c.id == bindparam("b_id"))
            .values({name: bindparam(f"v_{name}") for name in (*names, "updated_at")})
        )
        db.session.execute(statement, params, execution_options={"synchronize_session": False})
    moved = [p for p in chunk if p.existing and p.existing["unit_code"] != p.values["unit_code"]]
    if moved:
        db.session.execute(
            update(_HISTORY)
            .where(
                and_(_HISTORY.c.person_id == bindparam("b_person"), _HISTORY.c.to_date.is_(None))
            )
            .values(to_date=on),
            [{"b_person": p.person_id} for p in moved],
            execution_options={"synchronize_session": False},
        )
        _open_unit_history(moved, on)
    _publish([p for p in chunk if _published_change(p)], now)


def _published_change(plan: _Planned) -> bool:
    """True when a field other services copy changed (they hear of it by person.updated)."""
    existing = plan.existing or {}
    return any(
        existing.get(name) != plan.values[name] for name in PUBLISHED_FIELDS if name in plan.values
    )


def _publish(chunk: Iterable[_Planned], now: Any) -> None:
    """person.updated for each person of the chunk, straight into the outbox table."""
    rows = []
    for p in chunk:
        merged = {**(p.existing or {}), **p.values}
        data = {"person_id": p.person_id, **{f: merged.get(f) for f in PUBLISHED_FIELDS}}
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "type": "person.updated",
                "version": 1,
                "aggregate_id": p.person_id,
                "producer": events.producer,
                "occurred_at": now,
                "data": json.dumps(data),
                "fanned_out": False,
            }
        )
    if rows:
        db.session.execute(insert(_OUTBOX), rows)


def export_rows() -> list[dict[str, Any]]:
    """Every person with a NIP, in the import file's columns, ordered by unit and name."""
    boss = aliased(Person)
    result = db.session.execute(
        select(
            Person.nip,
            Person.name,
            Person.unit_code,
            Person.position,
            Person.grade,
            boss.nip.label("supervisor_nip"),
            Person.employment_type,
            Person.position_type,
            Person.status,
            Person.email,
        )
        .outerjoin(boss, boss.id == Person.supervisor_id)
        .where(Person.nip.is_not(None))
        .order_by(Person.unit_code, Person.name, Person.nip)
    )
    return [dict(row._mapping) for row in result]


def export_file(file_format: str, actor: str) -> bytes:
    """The people file (export_rows) as CSV or XLSX, audited."""
    rows = export_rows()
    audit("people.exported", actor=actor, rows=len(rows), format=file_format)
    return write_people_xlsx(rows) if file_format == "xlsx" else write_people_csv(rows)
