"""Plans: solve from the needs and the classes, explain, re-solve with pins, request places."""

from __future__ import annotations

from datetime import date
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import local_date, utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from flask import current_app
from sqlalchemy import select

from ..clients import catalog
from ..extensions import db
from ..models import Assignment, Decision, Plan
from . import needs as needs_domain
from .model import Offer, Person, Problem, Rules, Solution, levels_after, levels_closed
from .solving import solve_and_price


def create(body: dict[str, Any], who: Principal) -> Plan:
    """Read the needs and the year's classes, solve, and keep the plan."""
    config = current_app.config
    needs = needs_domain.collect(body["unit_code"], body["year"])
    offers = _offers(body["year"], body.get("class_ids"))
    plan = Plan(
        unit_code=body["unit_code"],
        year=body["year"],
        budget=body["budget"],
        max_classes_per_person=body.get("max_classes_per_person") or config["PLANNING_MAX_CLASSES"],
        max_days_away=body.get("max_days_away") or config["PLANNING_MAX_DAYS_AWAY"],
        class_ids=body.get("class_ids"),
        status="feasible",
        created_by=who.id,
        inputs={
            "people": [
                {
                    "id": p.id,
                    "name": p.name,
                    "unit_code": p.unit_code,
                    "supervisor_id": p.supervisor_id,
                    "gaps": {code: list(gap) for code, gap in p.gaps.items()},
                    "below_jp": needs.below_jp(p),
                    "mandatory": needs.mandatory.get(p.id, []),
                }
                for p in needs.people
            ],
            "offers": offers,
        },
    )
    db.session.add(plan)
    _solve_into(plan)
    db.session.commit()
    audit("plan.created", actor=who.id, plan=plan.id, status=plan.status)
    return plan


def _offers(year: int, class_ids: list[str] | None) -> list[dict[str, Any]]:
    """Classes of the year that can still take planned requests (or exactly those asked for)."""
    found = catalog.classes_of_year(year)
    today = local_date(utcnow())
    usable = {
        c.id: c
        for c in found
        if c.course_status == "published" and c.enrolment_closes_on >= today and c.seats_left > 0
    }
    if class_ids is not None:
        unusable = [cid for cid in class_ids if cid not in usable]
        if unusable:
            raise invalid(
                "class_ids",
                f"not a {year} class of a published course with seats and enrolment not closed: "
                + ", ".join(unusable[:10]),
            )
        chosen = [usable[cid] for cid in dict.fromkeys(class_ids)]
    else:
        chosen = list(usable.values())
    return [
        {
            "id": c.id,
            "name": c.name,
            "course_code": c.course_code,
            "course_title": c.course_title,
            "cost": c.cost,
            "seats": c.seats_left,
            "starts_on": c.starts_on.isoformat(),
            "ends_on": c.ends_on.isoformat(),
            "levels": c.levels,
            "jp": c.jp,
        }
        for c in chosen
    ]


def problem_of(plan: Plan) -> Problem:
    """The optimisation problem the plan's inputs and decisions describe."""
    people = [
        Person(
            p["id"],
            {code: (gap[0], gap[1]) for code, gap in p["gaps"].items()},
            below_jp=p["below_jp"],
            mandatory=frozenset(p["mandatory"]),
        )
        for p in plan.inputs["people"]
    ]
    offers = [
        Offer(
            o["id"],
            o["course_code"],
            o["cost"],
            o["seats"],
            date.fromisoformat(o["starts_on"]),
            date.fromisoformat(o["ends_on"]),
            o["levels"],
            o["jp"],
        )
        for o in plan.inputs["offers"]
    ]
    rules = Rules(
        budget=plan.budget,
        max_classes_per_person=plan.max_classes_per_person,
        max_days_away=plan.max_days_away,
    )
    pins = {(d.person_id, d.class_id) for d in plan.decisions if d.decision == "pin"}
    forbids = {(d.person_id, d.class_id) for d in plan.decisions if d.decision == "forbid"}
    return Problem(
        people, offers, rules, pins, forbids, current_app.config["PLANNING_CLASSES_PER_GAP"]
    )


def _solve_into(plan: Plan) -> None:
    """Solve and write the result, the explanations and the budget margins into the plan."""
    problem = problem_of(plan)
    limit = float(current_app.config["PLANNING_TIME_LIMIT"])
    previous = [(a.person_id, a.class_id) for a in plan.assignments]
    found, margins = solve_and_price(
        problem, limit, previous or None, apart=current_app.config["PLANNING_SOLVE_APART"]
    )
    plan.status, plan.objective, plan.bound, plan.spent = (
        found.status,
        found.objective,
        found.bound,
        found.spent,
    )
    plan.seconds, plan.candidates, plan.pruned = (
        round(found.seconds, 3),
        found.candidates,
        problem.pruned,
    )
    plan.levels_closed = levels_closed(problem, found.chosen)
    notes = list(found.notes)
    if problem.pruned:
        notes.append(
            f"{problem.pruned} person-class pairs were left out before solving (only the "
            f"{problem.per_gap} best classes per person and gap are considered): "
            "optimal and bound refer to the pairs considered"
        )
    plan.notes = notes
    rows = _explain(plan, problem, found)
    plan.assignments = []
    db.session.flush()  # old rows go before new ones arrive (same pairs are unique per plan)
    plan.assignments = rows
    plan.unmet = _unmet(plan, problem, found)
    plan.margins = margins
    plan.updated_at = utcnow()


def _explain(plan: Plan, problem: Problem, found: Solution) -> list[Assignment]:
    """One row per assignment with the gap it closes (the highest class gets the credit)."""
    names = {p["id"]: p["name"] for p in plan.inputs["people"]}
    offers = {o["id"]: o for o in plan.inputs["offers"]}
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for person_id, class_id in found.chosen:
        person = problem.person_by_id[person_id]
        for code, (_, to) in problem.closes(person, problem.offer_by_id[class_id]).items():
            key = (person_id, code)
            if key not in best or to > best[key][0]:
                best[key] = (to, class_id)
    rows = []
    for person_id, class_id in found.chosen:
        person = problem.person_by_id[person_id]
        offer = offers[class_id]
        closes: list[dict[str, Any]] = [
            {"competency_code": code, "from_level": person.gaps[code][0], "to_level": to}
            for (pid, code), (to, cid) in sorted(best.items())
            if pid == person_id and cid == class_id
        ]
        mandatory = offer["course_code"] in person.mandatory
        parts = [f"{c['competency_code']} {c['from_level']}->{c['to_level']}" for c in closes]
        reason = "closes " + ", ".join(parts) if parts else ""
        if mandatory:
            reason = f"mandatory {offer['course_code']}" + (f"; {reason}" if reason else "")
        if person.below_jp:
            reason += "; below the JP target"
        if (person_id, class_id) in problem.pinned:
            reason += "; pinned by an admin"
        rows.append(
            Assignment(
                person_id=person_id,
                person_name=names.get(person_id, ""),
                class_id=class_id,
                class_name=offer["name"],
                course_code=offer["course_code"],
                cost=offer["cost"],
                gap_closed=sum(c["to_level"] - c["from_level"] for c in closes),
                reason=reason.strip("; "),
                closes=closes,
                mandatory=mandatory,
                below_jp=person.below_jp,
                pinned=(person_id, class_id) in problem.pinned,
            )
        )
    return rows


def _unmet(plan: Plan, problem: Problem, found: Solution) -> list[dict[str, Any]]:
    """Gaps left open, largest first."""
    reached = levels_after(problem, found.chosen)
    names = {p["id"]: p["name"] for p in plan.inputs["people"]}
    left = []
    for person in problem.people:
        for code, (current, required) in sorted(person.gaps.items()):
            level = max(current, reached.get(person.id, {}).get(code, 0))
            if level < required:
                left.append(
                    {
                        "person_id": person.id,
                        "name": names.get(person.id, ""),
                        "competency_code": code,
                        "gap": required - level,
                    }
                )
    left.sort(key=lambda r: (-r["gap"], r["person_id"], r["competency_code"]))
    return left


def load(plan_id: str, *, to_change: bool = False) -> Plan:
    """The plan, or 404.

    to_change: read afresh and locked until the transaction ends. A decision re-solves for
    seconds while an admin may turn the plan into enrolment requests: taking turns, the
    requests are made from the assignments as decided, and no decision lands after them.
    """
    plan = db.session.get(Plan, plan_id, with_for_update=to_change, populate_existing=to_change)
    if plan is None:
        raise CakapError(404, "No plan with this id.")
    return plan


def decide(plan_id: str, person_id: str, class_id: str, decision: str | None) -> Plan:
    """Pin, forbid or release one assignment, then re-solve keeping every pin."""
    plan = load(plan_id, to_change=True)
    if plan.enrolled_at is not None:
        raise CakapError(409, "This plan was already turned into enrolment requests.")
    if person_id not in {p["id"] for p in plan.inputs["people"]}:
        raise invalid("person_id", "not a person of this plan")
    if class_id not in {o["id"] for o in plan.inputs["offers"]}:
        raise invalid("class_id", "not a class of this plan")
    existing = db.session.scalar(
        select(Decision).where(
            Decision.plan_id == plan.id,
            Decision.person_id == person_id,
            Decision.class_id == class_id,
        )
    )
    if existing is not None:
        plan.decisions.remove(existing)
    if decision is not None:
        plan.decisions.append(Decision(person_id=person_id, class_id=class_id, decision=decision))
    db.session.flush()
    _solve_into(plan)
    db.session.commit()
    return plan


def request_enrolments(plan_id: str, who: Principal) -> dict[str, Any]:
    """Turn the plan into enrolment requests in catalog; what exists already is not made again."""
    plan = load(plan_id, to_change=True)
    if plan.status == "infeasible":
        raise CakapError(409, "An infeasible plan has no assignments to request.")
    people = {p["id"]: p for p in plan.inputs["people"]}
    todo = [a for a in plan.assignments if a.enrolment_id is None]
    items = [
        {
            "class_id": a.class_id,
            "learner_id": a.person_id,
            "learner_name": people[a.person_id]["name"] or a.person_id,
            "unit_code": people[a.person_id]["unit_code"],
            "supervisor_id": people[a.person_id]["supervisor_id"],
        }
        for a in todo
    ]
    created = 0
    if items:
        results = catalog.request_planned(f"plan:{plan.id}", items)
        by_pair = {(r.get("learner_id"), r.get("class_id")): r for r in results}
        for assignment in todo:
            result = by_pair.get((assignment.person_id, assignment.class_id)) or {}
            assignment.enrolment_id = result.get("enrolment_id")
            assignment.enrolment_status = result.get("status")
            assignment.enrolment_problem = result.get("problem")
            created += bool(result.get("created"))
    plan.enrolled_at = plan.enrolled_at or utcnow()
    db.session.commit()
    audit("plan.enrolments", actor=who.id, plan=plan.id, created=created)
    return {
        "plan_id": plan.id,
        "created": created,
        "requested": sum(1 for a in plan.assignments if a.enrolment_id),
        "refused": sum(1 for a in plan.assignments if a.enrolment_problem),
        "items": [
            {
                "person_id": a.person_id,
                "class_id": a.class_id,
                "enrolment_id": a.enrolment_id,
                "status": a.enrolment_status,
                "problem": a.enrolment_problem,
            }
            for a in plan.assignments
        ],
    }
