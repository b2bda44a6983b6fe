"""JP ledger, unit compliance, competency profiles, gaps, position standards and JP targets."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.db import MAX_PER_PAGE
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError, invalid
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..clock import today
from ..domain import competencies, development_needs, jp, rights
from ..domain import units as unit_tree
from ..domain.rights import Relation
from ..extensions import db
from ..models import CompetencyAssessment, JpTarget, Person, Unit
from .units import CODE

# Catalog spells e-learning with an underscore; both are accepted.
FORMS = ("klasikal", "e-learning", "e_learning", "blended", "coaching", "mentoring", "seminar",
         "workshop", "magang", "pendidikan", "lainnya")  # fmt: skip


class YearArgsSchema(ma.Schema):
    """A calendar year (default: this year)."""

    year = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=2000, max=2100))


class JpEntrySchema(ma.Schema):
    """One ledger entry."""

    id = ma.fields.String()
    course_code = ma.fields.String(allow_none=True)
    title = ma.fields.String()
    jp = ma.fields.Integer()
    form = ma.fields.String()
    completed_on = ma.fields.Date()
    year = ma.fields.Integer()
    source_event_id = ma.fields.String(allow_none=True)
    evidence_url = ma.fields.String(allow_none=True)


class JpEntryCreateSchema(ma.Schema):
    """External development an admin records, with the evidence."""

    course_code = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=50)
    )
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    jp = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=1000))
    form = ma.fields.String(required=True, validate=ma.validate.OneOf(FORMS))
    completed_on = ma.fields.Date(required=True)
    evidence_url = ma.fields.Url(
        required=True, schemes={"http", "https"}, validate=ma.validate.Length(max=1000)
    )


class JpSummarySchema(ma.Schema):
    """A person's JP for one year."""

    year = ma.fields.Integer()
    target = ma.fields.Integer()
    earned = ma.fields.Integer()
    shortfall = ma.fields.Integer()
    entries = ma.fields.List(ma.fields.Nested(JpEntrySchema))


class ComplianceItemSchema(ma.Schema):
    """One person below target."""

    person_id = ma.fields.String()
    name = ma.fields.String()
    unit_code = ma.fields.String()
    position = ma.fields.String(allow_none=True)
    target = ma.fields.Integer()
    earned = ma.fields.Integer()
    shortfall = ma.fields.Integer()


class ComplianceSchema(ma.Schema):
    """A unit's (and its sub-units') JP compliance for a year."""

    unit_code = ma.fields.String()
    year = ma.fields.Integer()
    people = ma.fields.Integer(metadata={"description": "Active people counted"})
    below_target = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(ComplianceItemSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


class UnitComplianceRowSchema(ma.Schema):
    """One unit's JP compliance, its sub-units included."""

    unit_code = ma.fields.String()
    name = ma.fields.String()
    parent_code = ma.fields.String(allow_none=True)
    people = ma.fields.Integer(metadata={"description": "Active people counted"})
    below_target = ma.fields.Integer()
    target = ma.fields.Integer(metadata={"description": "Sum of the people's targets"})
    earned = ma.fields.Integer(metadata={"description": "JP earned, each person capped at target"})
    shortfall = ma.fields.Integer(metadata={"description": "JP missing to reach every target"})
    compliance_rate = ma.fields.Float(
        allow_none=True, metadata={"description": "Share of people at or above target"}
    )


class UnitComplianceListSchema(ma.Schema):
    """Every unit's compliance for a year, largest shortfall first."""

    year = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(UnitComplianceRowSchema))


class ComplianceArgsSchema(YearArgsSchema):
    """Year and paging."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=10_000))


class JpTargetSchema(ma.Schema):
    """A yearly target for an employment type, optionally for one agency (root OPD code)."""

    employment_type = ma.fields.String(required=True, validate=ma.validate.OneOf(("PNS", "PPPK")))
    agency_code = ma.fields.String(load_default=None, allow_none=True)
    target = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=1000))


class JpTargetListSchema(ma.Schema):
    """Configured defaults and overrides."""

    items = ma.fields.List(ma.fields.Nested(JpTargetSchema))


LEVEL = ma.validate.Range(min=1, max=5)


SOURCES = ("assessment_centre", "supervisor", "self")


class AssessmentCreateSchema(ma.Schema):
    """An assessed level."""

    code = ma.fields.String(required=True, validate=CODE)
    level = ma.fields.Integer(required=True, validate=LEVEL)
    source = ma.fields.String(required=True, validate=ma.validate.OneOf(SOURCES))
    assessed_on = ma.fields.Date(load_default=None)


class AssessmentSchema(ma.Schema):
    """One assessment."""

    id = ma.fields.String()
    code = ma.fields.String()
    level = ma.fields.Integer()
    source = ma.fields.String()
    assessed_on = ma.fields.Date()
    evidence = ma.fields.String(allow_none=True)


class CompetencyProfileSchema(ma.Schema):
    """Current level per competency (most trusted source, then latest) and the history."""

    items = ma.fields.List(ma.fields.Nested(AssessmentSchema))
    self_assessments = ma.fields.List(ma.fields.Nested(AssessmentSchema))
    history = ma.fields.List(ma.fields.Nested(AssessmentSchema))


class GapArgsSchema(ma.Schema):
    """Optional target position: a position name with a standard, or a position type."""

    target_position = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))


class GapItemSchema(ma.Schema):
    """Required against current level."""

    code = ma.fields.String()
    required = ma.fields.Integer()
    current = ma.fields.Integer()
    gap = ma.fields.Integer()


class GapSetSchema(ma.Schema):
    """Gaps against one position's standard."""

    position = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(GapItemSchema))


class GapsSchema(GapSetSchema):
    """Gaps for the current position (`items`) and, when asked, a target position."""

    target = ma.fields.Nested(GapSetSchema, allow_none=True)


class StandardItemSchema(ma.Schema):
    """A required level."""

    code = ma.fields.String(required=True, validate=CODE)
    level = ma.fields.Integer(required=True, validate=LEVEL)


class PositionStandardSchema(ma.Schema):
    """The standard of a position name or position type."""

    position = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    competencies = ma.fields.List(
        ma.fields.Nested(StandardItemSchema), required=True, validate=ma.validate.Length(min=1)
    )


class PositionStandardArgsSchema(ma.Schema):
    """Filter by position."""

    position = ma.fields.String(load_default=None)


class PositionStandardListSchema(ma.Schema):
    """Standards."""

    items = ma.fields.List(ma.fields.Nested(PositionStandardSchema))


class DevelopmentNeedsArgsSchema(ComplianceArgsSchema):
    """Which people (a unit and its sub-units, or everyone) and which year."""

    unit_code = ma.fields.String(validate=ma.validate.Length(min=1, max=50))


class DevelopmentNeedSchema(ma.Schema):
    """What planning needs to know of one person."""

    id = ma.fields.String()
    nip = ma.fields.String(allow_none=True)
    name = ma.fields.String()
    unit_code = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)
    position = ma.fields.String(allow_none=True)
    position_type = ma.fields.String(allow_none=True)
    employment_type = ma.fields.String(allow_none=True)
    appointed = ma.fields.String(allow_none=True, metadata={"description": "YYYY-MM, from the NIP"})
    jp_target = ma.fields.Integer()
    jp_earned = ma.fields.Integer()
    gaps = ma.fields.List(ma.fields.Nested(GapItemSchema), metadata={"description": "gap > 0 only"})


class DevelopmentNeedsPageSchema(ma.Schema):
    """A page of people's development needs."""

    year = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(DevelopmentNeedSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


blp = Blueprint(
    "development", __name__, url_prefix="/api/v1", description="JP ledger and competencies"
)


@blp.route("/people/<string:person_id>/jp")
class PersonJp(MethodView):
    """A person's JP for a year."""

    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200, JpSummarySchema)
    def get(self, args: dict[str, Any], person_id: str) -> dict[str, Any]:
        """JP earned in a year (default this year) against the target, with the entries."""
        person, _rel = rights.visible_person(current_principal(), person_id)
        return jp.summary(person, args.get("year") or today().year)


@blp.route("/people/<string:person_id>/jp-entries")
class PersonJpEntries(MethodView):
    """Ledger entries recorded by hand."""

    @blp.arguments(JpEntryCreateSchema)
    @blp.response(201, JpEntrySchema)
    def post(self, body: dict[str, Any], person_id: str) -> dict[str, Any]:
        """Record external development (seminar, degree...) with its evidence (admin)."""
        principal = current_principal()
        _person, rel = rights.visible_person(principal, person_id)
        if rel is not Relation.ADMIN:
            raise CakapError(403, "Only an administrator records external development.")
        if body["completed_on"] > today():
            raise invalid("completed_on", "the completion date is in the future")
        entry = jp.add_entry(person_id, body, recorded_by=principal.id)
        db.session.commit()
        audit("jp.recorded", actor=principal.id, person_id=person_id, jp=entry.jp)
        return jp.entry_view(entry)


@blp.route("/units/<string:code>/compliance")
class UnitCompliance(MethodView):
    """Who in a unit is below the JP target."""

    @blp.arguments(ComplianceArgsSchema, location="query")
    @blp.response(200, ComplianceSchema)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """People of the unit and its sub-units below target, largest shortfall first.

        Admins see everyone; a supervisor sees their own line (direct and indirect).
        """
        principal = current_principal()
        if db.session.get(Unit, code) is None:
            raise CakapError(404, "No such unit.")
        only: set[str] | None = None
        if not principal.is_admin:
            only = set(db.session.scalars(rights.subordinate_ids(principal.id)))
            if not only:
                raise CakapError(403, "Only administrators and supervisors read compliance.")
            me = db.session.get(Person, principal.id)
            mine = me is not None and me.unit_code in unit_tree.subtree_codes(code)
            in_unit = db.session.scalar(
                select(Person.id)
                .where(Person.id.in_(only), Person.unit_code.in_(unit_tree.subtree_codes(code)))
                .limit(1)
            )
            if not mine and in_unit is None:
                raise CakapError(404, "No such unit in your line.")
        report = jp.compliance(code, args.get("year") or today().year, only)
        per_page = min(args["per_page"], MAX_PER_PAGE)
        start = (args["page"] - 1) * per_page
        return {
            "unit_code": code,
            "year": report["year"],
            "people": report["people"],
            "below_target": len(report["below"]),
            "items": report["below"][start : start + per_page],
            "total": len(report["below"]),
            "page": args["page"],
            "per_page": per_page,
        }


@blp.route("/jp-compliance")
class JpComplianceByUnit(MethodView):
    """JP compliance of every unit."""

    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200, UnitComplianceListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Each unit (with its sub-units) for a year: people, below target, shortfall (admin)."""
        require_roles("admin")
        year = args.get("year") or today().year
        return {"year": year, "items": jp.compliance_by_unit(year)}


@blp.route("/people/<string:person_id>/competencies")
class PersonCompetencies(MethodView):
    """A person's competency profile."""

    @blp.response(200, CompetencyProfileSchema)
    def get(self, person_id: str) -> dict[str, Any]:
        """Current level per competency and the assessment history."""
        rights.visible_person(current_principal(), person_id)
        return competencies.profile(person_id)


# Which assessment source each relation may record.
_SOURCES_BY_RELATION = {
    Relation.ADMIN: {"assessment_centre", "supervisor", "self"},
    Relation.SUPERVISOR: {"supervisor"},
    Relation.SELF: {"self"},
}


@blp.route("/people/<string:person_id>/competency-assessments")
class PersonCompetencyAssessments(MethodView):
    """Assessed levels."""

    @blp.arguments(AssessmentCreateSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, body: dict[str, Any], person_id: str) -> dict[str, Any]:
        """Record a level: admins any source, supervisors `supervisor`, the person `self`."""
        principal = current_principal()
        _person, rel = rights.visible_person(principal, person_id)
        if body["source"] not in _SOURCES_BY_RELATION.get(rel, set()):
            raise CakapError(403, f"You may not record a {body['source']} assessment here.")
        assessed_on = body.get("assessed_on") or today()
        if assessed_on > today():
            raise invalid("assessed_on", "the assessment date is in the future")
        assessment = CompetencyAssessment(
            person_id=person_id,
            competency_code=body["code"],
            level=body["level"],
            source=body["source"],
            assessed_on=assessed_on,
            assessed_by=principal.id,
        )
        db.session.add(assessment)
        db.session.commit()
        audit("competency.assessed", actor=principal.id, person_id=person_id, code=body["code"])
        return competencies.assessment_view(assessment)


@blp.route("/people/<string:person_id>/competency-gaps")
class PersonCompetencyGaps(MethodView):
    """Gaps against position standards."""

    @blp.arguments(GapArgsSchema, location="query")
    @blp.response(200, GapsSchema)
    def get(self, args: dict[str, Any], person_id: str) -> dict[str, Any]:
        """Gap per competency for the current position and, with target_position, for another."""
        person, _rel = rights.visible_person(current_principal(), person_id)
        return competencies.gaps(person, args.get("target_position"))


@blp.route("/position-standards")
class PositionStandards(MethodView):
    """Required competency levels per position."""

    @blp.arguments(PositionStandardArgsSchema, location="query")
    @blp.response(200, PositionStandardListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Standards of every position (or of one)."""
        return {"items": competencies.standards(args.get("position"))}

    @blp.arguments(PositionStandardSchema)
    @blp.response(201, PositionStandardSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set required levels for a position name or type (admin); listed codes are replaced."""
        principal = require_roles("admin")
        position = body["position"].strip()
        competencies.set_standard(position, body["competencies"])
        db.session.commit()
        audit("standard.set", actor=principal.id, position=position)
        return competencies.standards(position)[0]


@blp.route("/jp-targets")
class JpTargets(MethodView):
    """Yearly JP targets."""

    @blp.response(200, JpTargetListSchema)
    def get(self) -> dict[str, Any]:
        """Configured defaults per employment type, then overrides (type-wide or per agency)."""
        items = [
            {"employment_type": kind, "agency_code": None, "target": target}
            for kind, target in jp.default_targets().items()
        ]
        for row in db.session.scalars(
            select(JpTarget).order_by(JpTarget.employment_type, JpTarget.agency_code)
        ):
            items.append(
                {
                    "employment_type": row.employment_type,
                    "agency_code": row.agency_code or None,
                    "target": row.target,
                }
            )
        return {"items": items}

    @blp.arguments(JpTargetSchema)
    @blp.response(200, JpTargetSchema)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Override the target of an employment type, everywhere or in one agency (admin)."""
        principal = require_roles("admin")
        agency = body.get("agency_code") or jp.ALL_AGENCIES
        if agency:
            unit = db.session.get(Unit, agency)
            if unit is None or unit.parent_code is not None:
                raise invalid("agency_code", "agency_code must be the code of a top-level unit")
        row = db.session.scalar(
            select(JpTarget).where(
                JpTarget.employment_type == body["employment_type"], JpTarget.agency_code == agency
            )
        )
        if row is None:
            row = JpTarget(employment_type=body["employment_type"], agency_code=agency)
            db.session.add(row)
        row.target = body["target"]
        db.session.commit()
        audit("jp.target_set", actor=principal.id, agency=agency, target=body["target"])
        return {"employment_type": row.employment_type, "agency_code": agency or None,
                "target": row.target}  # fmt: skip


@blp.route("/development-needs")
class DevelopmentNeeds(MethodView):
    """Gaps and JP of many people at once (for planning)."""

    @blp.arguments(DevelopmentNeedsArgsSchema, location="query")
    @blp.response(200, DevelopmentNeedsPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Active ASN of a unit and its sub-units (or all): gaps, JP (admin, service)."""
        principal = current_principal()
        if not (principal.is_admin or principal.is_service):
            raise CakapError(403, "Only administrators and services read development needs.")
        unit_code = args.get("unit_code")
        if unit_code and db.session.get(Unit, unit_code) is None:
            raise CakapError(404, "No such unit.")
        per_page = min(args["per_page"], MAX_PER_PAGE)
        year = args.get("year") or today().year
        return development_needs.needs_page(unit_code, year, args["page"], per_page)
