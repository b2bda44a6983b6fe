"""Competency profiles, position standards and gaps.

Standards are kept per position type (the managerial standard seeded by the
migration) and optionally per position name; a name's levels override its
type's for the competencies the name lists.

The current level of a competency comes from the most trusted source that assessed
it (SOURCE_PRECEDENCE), the latest assessment of that source by date; never assessed
counts as 0. A lower source never overwrites a higher one's level: a learner's self
assessment cannot erase the gap their supervisor or BKPSDM's assessment centre found.
It stays stored and visible in the history.
"""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from sqlalchemy import select

from ..clock import today
from ..extensions import db
from ..models import CompetencyAssessment, Person, PositionStandard
from . import rights
from .grades import PositionType
from .rights import Relation

POSITION_TYPES = {t.value for t in PositionType}
# The managerial standard (Permenpan RB 38/2017): eight managerial competencies and the
# sosial-kultural Perekat Bangsa, one level per position type. The catalog's dictionary
# uses the same codes. The migration seeds it too.
MANAGERIAL_CODES = {
    "M-INT": "Integritas",
    "M-KS": "Kerja Sama",
    "M-KOM": "Komunikasi",
    "M-OPH": "Orientasi pada Hasil",
    "M-PP": "Pelayanan Publik",
    "M-PDO": "Pengembangan Diri dan Orang Lain",
    "M-MP": "Mengelola Perubahan",
    "M-PK": "Pengambilan Keputusan",
    "SK-PB": "Perekat Bangsa",
}
MANAGERIAL_LEVEL_BY_TYPE = {
    "jpt_madya": 5,
    "jpt_pratama": 4,
    "administrator": 3,
    "pengawas": 2,
    "fungsional": 2,
    "pelaksana": 1,
}


def seed_managerial_standard() -> int:
    """Add the managerial standard rows that are missing; returns how many were added."""
    have = {
        (row.position, row.competency_code)
        for row in db.session.execute(
            select(PositionStandard.position, PositionStandard.competency_code)
        )
    }
    added = 0
    for kind, level in MANAGERIAL_LEVEL_BY_TYPE.items():
        for code in MANAGERIAL_CODES:
            if (kind, code) not in have:
                db.session.add(
                    PositionStandard(position=kind, competency_code=code, required_level=level)
                )
                added += 1
    db.session.flush()
    return added


def standard_for(position: str | None, position_type: str | None) -> dict[str, int]:
    """Required level per competency code for a position (name, then its type)."""
    keys = [k for k in (position_type, position) if k]
    if not keys:
        return {}
    rows = db.session.scalars(select(PositionStandard).where(PositionStandard.position.in_(keys)))
    by_key: dict[str, dict[str, int]] = {}
    for row in rows:
        by_key.setdefault(row.position, {})[row.competency_code] = row.required_level
    merged = dict(by_key.get(position_type or "", {}))
    if position and position != position_type:
        merged.update(by_key.get(position, {}))
    return merged


# Most trusted first: an assessment centre or certification run by BKPSDM, then the
# supervisor, then a completed training whose post test was passed (domain/evidence.py),
# then the person's own view.
SOURCE_PRECEDENCE = ("assessment_centre", "supervisor", "training", "self")
_RANK = {source: rank for rank, source in enumerate(SOURCE_PRECEDENCE)}


def source_rank(source: str) -> int:
    """0 for the most trusted source; an unknown source ranks below every known one."""
    return _RANK.get(source, len(SOURCE_PRECEDENCE))


def current_assessments(history: list[CompetencyAssessment]) -> dict[str, CompetencyAssessment]:
    """Per competency code, the assessment that sets the current level.

    `history` is newest first, so within one source the first seen is the latest.
    """
    current: dict[str, CompetencyAssessment] = {}
    for a in history:
        held = current.get(a.competency_code)
        if held is None or source_rank(a.source) < source_rank(held.source):
            current[a.competency_code] = a
    return current


def assessments(person_id: str) -> list[CompetencyAssessment]:
    """All assessments of a person, newest first."""
    return list(
        db.session.scalars(
            select(CompetencyAssessment)
            .where(CompetencyAssessment.person_id == person_id)
            .order_by(
                CompetencyAssessment.assessed_on.desc(), CompetencyAssessment.created_at.desc()
            )
        )
    )


def person_profile(principal: Principal, person_id: str) -> dict[str, Any]:
    """The profile of a person the caller may see; else 404."""
    rights.visible_person(principal, person_id)
    return profile(person_id)


def profile(person_id: str) -> dict[str, Any]:
    """Current level per code (most trusted source, then latest), the person's latest own
    view per code (shown beside the current level, never instead) and the full history."""
    history = assessments(person_id)
    current = current_assessments(history)
    own: dict[str, CompetencyAssessment] = {}
    for a in history:
        if a.source == "self":
            own.setdefault(a.competency_code, a)
    return {
        "items": [current[code] for code in sorted(current)],
        "self_assessments": [own[code] for code in sorted(own)],
        "history": history,
    }


def current_levels(person_id: str) -> dict[str, int]:
    """Current level per competency code (see current_assessments)."""
    return {code: a.level for code, a in current_assessments(assessments(person_id)).items()}


def gap_items(required: dict[str, int], current: dict[str, int]) -> list[dict[str, int | str]]:
    """One item per required competency: required, current (0 if unassessed), gap (never < 0)."""
    return [
        {
            "code": code,
            "required": level,
            "current": current.get(code, 0),
            "gap": max(level - current.get(code, 0), 0),
        }
        for code, level in sorted(required.items())
    ]


# Which assessment source each relation may record.
SOURCES_BY_RELATION = {
    Relation.ADMIN: {"assessment_centre", "supervisor", "self"},
    Relation.SUPERVISOR: {"supervisor"},
    Relation.SELF: {"self"},
}


def record_assessment(
    principal: Principal, person_id: str, data: dict[str, Any]
) -> CompetencyAssessment:
    """Record (commit, audit) a level: admins any source, supervisors `supervisor`, the
    person `self`; the date defaults to today and is never in the future."""
    _person, rel = rights.visible_person(principal, person_id)
    if data["source"] not in SOURCES_BY_RELATION.get(rel, set()):
        raise CakapError(403, f"You may not record a {data['source']} assessment here.")
    assessed_on = data.get("assessed_on") or today()
    if assessed_on > today():
        raise invalid("assessed_on", "the assessment date is in the future")
    assessment = CompetencyAssessment(
        person_id=person_id,
        competency_code=data["code"],
        level=data["level"],
        source=data["source"],
        assessed_on=assessed_on,
        assessed_by=principal.id,
    )
    db.session.add(assessment)
    db.session.commit()
    audit("competency.assessed", actor=principal.id, person_id=person_id, code=data["code"])
    return assessment


def person_gaps(
    principal: Principal, person_id: str, target_position: str | None
) -> dict[str, Any]:
    """The gaps of a person the caller may see (see gaps); else 404."""
    person, _rel = rights.visible_person(principal, person_id)
    return gaps(person, target_position)


def gaps(person: Person, target_position: str | None) -> dict[str, Any]:
    """Gaps for the current position and, when asked, for a target position."""
    current = current_levels(person.id)
    result: dict[str, Any] = {
        "position": person.position,
        "items": gap_items(standard_for(person.position, person.position_type), current),
        "target": None,
    }
    if target_position:
        target = target_position.strip()
        if target.lower() in POSITION_TYPES:
            required = standard_for(None, target.lower())
        else:
            required = standard_for(target, _type_of_position(target))
        if not required:
            raise invalid(
                "target_position",
                f"no competency standard for {target}; give a position type "
                f"({', '.join(sorted(POSITION_TYPES))}) or a position with a standard",
            )
        result["target"] = {"position": target, "items": gap_items(required, current)}
    return result


def _type_of_position(name: str) -> str | None:
    """The position type most people holding this position name have, if any."""
    return db.session.scalar(
        select(Person.position_type)
        .where(Person.position == name, Person.position_type.is_not(None))
        .limit(1)
    )


def set_standard(position: str, competencies: list[dict[str, Any]]) -> None:
    """Replace the levels of the named competencies for a position."""
    existing = {
        s.competency_code: s
        for s in db.session.scalars(
            select(PositionStandard).where(PositionStandard.position == position)
        )
    }
    seen: set[str] = set()
    for item in competencies:
        if item["code"] in seen:
            raise invalid("competencies", f"{item['code']} is listed twice")
        seen.add(item["code"])
        row = existing.get(item["code"])
        if row is None:
            db.session.add(
                PositionStandard(
                    position=position, competency_code=item["code"], required_level=item["level"]
                )
            )
        else:
            row.required_level = item["level"]


def save_standard(position: str, competencies: list[dict[str, Any]], actor: str) -> dict[str, Any]:
    """Set (commit, audit) the levels of a position name or type; the standard as it is now."""
    position = position.strip()
    set_standard(position, competencies)
    db.session.commit()
    audit("standard.set", actor=actor, position=position)
    return standards(position)[0]


def standards(position: str | None) -> list[dict[str, Any]]:
    """Standards grouped by position, optionally of one position."""
    query = select(PositionStandard).order_by(
        PositionStandard.position, PositionStandard.competency_code
    )
    if position:
        query = query.where(PositionStandard.position == position)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in db.session.scalars(query):
        grouped.setdefault(row.position, []).append(
            {"code": row.competency_code, "level": row.required_level}
        )
    return [{"position": name, "competencies": items} for name, items in grouped.items()]
