"""JP ledger, unit compliance, competency profiles, gaps, position standards and JP targets."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import competencies, development_needs, jp
from ..models import CompetencyAssessment, JpEntry
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
    code = ma.fields.String(attribute="competency_code")
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
        return jp.person_summary(current_principal(), person_id, args.get("year"))


@blp.route("/people/<string:person_id>/jp-entries")
class PersonJpEntries(MethodView):
    """Ledger entries recorded by hand."""

    @blp.arguments(JpEntryCreateSchema)
    @blp.response(201, JpEntrySchema)
    def post(self, body: dict[str, Any], person_id: str) -> JpEntry:
        """Record external development (seminar, degree...) with its evidence (admin)."""
        return jp.record_external(current_principal(), person_id, body)


@blp.route("/units/<string:code>/compliance")
class UnitCompliance(MethodView):
    """Who in a unit is below the JP target."""

    @blp.arguments(ComplianceArgsSchema, location="query")
    @blp.response(200, ComplianceSchema)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """People of the unit and its sub-units below target, largest shortfall first.

        Admins see everyone; a supervisor sees their own line (direct and indirect).
        """
        return jp.unit_compliance_page(
            current_principal(), code, args.get("year"), args["page"], args["per_page"]
        )


@blp.route("/jp-compliance")
class JpComplianceByUnit(MethodView):
    """JP compliance of every unit."""

    @blp.arguments(YearArgsSchema, location="query")
    @blp.response(200, UnitComplianceListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Each unit (with its sub-units) for a year: people, below target, shortfall (admin)."""
        require_roles("admin")
        return jp.every_unit_compliance(args.get("year"))


@blp.route("/people/<string:person_id>/competencies")
class PersonCompetencies(MethodView):
    """A person's competency profile."""

    @blp.response(200, CompetencyProfileSchema)
    def get(self, person_id: str) -> dict[str, Any]:
        """Current level per competency and the assessment history."""
        return competencies.person_profile(current_principal(), person_id)


@blp.route("/people/<string:person_id>/competency-assessments")
class PersonCompetencyAssessments(MethodView):
    """Assessed levels."""

    @blp.arguments(AssessmentCreateSchema)
    @blp.response(201, AssessmentSchema)
    def post(self, body: dict[str, Any], person_id: str) -> CompetencyAssessment:
        """Record a level: admins any source, supervisors `supervisor`, the person `self`."""
        return competencies.record_assessment(current_principal(), person_id, body)


@blp.route("/people/<string:person_id>/competency-gaps")
class PersonCompetencyGaps(MethodView):
    """Gaps against position standards."""

    @blp.arguments(GapArgsSchema, location="query")
    @blp.response(200, GapsSchema)
    def get(self, args: dict[str, Any], person_id: str) -> dict[str, Any]:
        """Gap per competency for the current position and, with target_position, for another."""
        return competencies.person_gaps(current_principal(), person_id, args.get("target_position"))


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
        return competencies.save_standard(body["position"], body["competencies"], principal.id)


@blp.route("/jp-targets")
class JpTargets(MethodView):
    """Yearly JP targets."""

    @blp.response(200, JpTargetListSchema)
    def get(self) -> dict[str, Any]:
        """Configured defaults per employment type, then overrides (type-wide or per agency)."""
        return {"items": jp.target_list()}

    @blp.arguments(JpTargetSchema)
    @blp.response(200, JpTargetSchema)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """Override the target of an employment type, everywhere or in one agency (admin)."""
        principal = require_roles("admin")
        return jp.set_target(
            body["employment_type"], body.get("agency_code"), body["target"], principal.id
        )


@blp.route("/development-needs")
class DevelopmentNeeds(MethodView):
    """Gaps and JP of many people at once (for planning)."""

    @blp.arguments(DevelopmentNeedsArgsSchema, location="query")
    @blp.response(200, DevelopmentNeedsPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Active ASN of a unit and its sub-units (or all): gaps, JP (admin, service)."""
        return development_needs.needs(
            current_principal(),
            args.get("unit_code"),
            args.get("year"),
            args["page"],
            args["per_page"],
        )
