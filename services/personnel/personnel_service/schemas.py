"""Request and response schemas of the personnel API."""

from __future__ import annotations

import marshmallow as ma
from cakap_shared.db import UtcDateTime

from .domain.grades import PositionType


class TokenRequestSchema(ma.Schema):
    """Sign-in with a login name or NIP and a password."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=1024)
    )


class ServiceTokenRequestSchema(ma.Schema):
    """Client credentials of a Cakap service asking for a token to call `audience`."""

    client_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))
    client_secret = ma.fields.String(required=True, load_only=True)
    audience = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))


class TokenSchema(ma.Schema):
    """An issued access token."""

    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()


class TokenPairSchema(TokenSchema):
    """An access token and the refresh token that gets the next one."""

    refresh_token = ma.fields.String()
    refresh_expires_in = ma.fields.Integer(
        metadata={"description": "Seconds until the refresh family ends (sign in again then)"}
    )
    password_change_required = ma.fields.Boolean(
        metadata={"description": "True after an admin reset: the token only changes the password"}
    )


class MeSchema(ma.Schema):
    """The signed-in caller."""

    id = ma.fields.String()
    username = ma.fields.String()
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    nip = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)


# ---- units ----

CODE = ma.validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,49}$", error="use 1-50 letters, digits, . _ -"
)


class UnitCreateSchema(ma.Schema):
    """A new unit; `parent_code` places it under an existing unit."""

    code = ma.fields.String(required=True, validate=CODE)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    parent_code = ma.fields.String(load_default=None, allow_none=True)


class UnitSchema(ma.Schema):
    """A unit with its children (the tree view nests them)."""

    code = ma.fields.String()
    name = ma.fields.String()
    parent_code = ma.fields.String(allow_none=True)
    children = ma.fields.List(ma.fields.Nested(lambda: UnitSchema()))


class UnitTreeSchema(ma.Schema):
    """All units as a forest: the OPD at the top, their sub-units nested."""

    items = ma.fields.List(ma.fields.Nested(UnitSchema))
    total = ma.fields.Integer()


# ---- people ----

ROLE_CHOICES = ("asn", "supervisor", "trainer", "admin", "opd_admin")
STATUS_CHOICES = ("active", "on_leave", "retired")
POSITION_TYPE_CHOICES = tuple(p.value for p in PositionType)
SORT_CHOICES = tuple(
    f"{sign}{key}"
    for sign in ("", "-")
    for key in ("name", "nip", "grade", "unit_code", "position", "updated_at")
)


class PersonCreateSchema(ma.Schema):
    """A new person. ASN have a NIP; trainers and admins without one need a `username`."""

    nip = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    unit_code = ma.fields.String(load_default=None, allow_none=True)
    position = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200)
    )
    position_type = ma.fields.String(load_default=None, allow_none=True)
    grade = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=20)
    )
    employment_type = ma.fields.String(load_default=None, allow_none=True)
    supervisor_nip = ma.fields.String(load_default=None, allow_none=True)
    status = ma.fields.String(load_default="active")
    email = ma.fields.Email(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=254)
    )
    roles = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(ROLE_CHOICES)), load_default=None
    )
    username = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=100)
    )
    password = ma.fields.String(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=ma.validate.Length(min=8, max=1024),
    )


class PersonUpdateSchema(ma.Schema):
    """Changes to a person; a null `supervisor_nip`/`supervisor_id` removes the supervisor."""

    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    unit_code = ma.fields.String()
    position = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    position_type = ma.fields.String(allow_none=True)
    grade = ma.fields.String(validate=ma.validate.Length(max=20))
    employment_type = ma.fields.String()
    supervisor_nip = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    email = ma.fields.Email(allow_none=True, validate=ma.validate.Length(max=254))
    roles = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(ROLE_CHOICES)))
    moved_on = ma.fields.Date(metadata={"description": "Date of a unit move (default today)"})


class UnitHistorySchema(ma.Schema):
    """One stay in one unit."""

    unit_code = ma.fields.String()
    from_date = ma.fields.Date()
    to_date = ma.fields.Date(allow_none=True)


class AppreciationSchema(ma.Schema):
    """Recognition from a supervisor."""

    id = ma.fields.String()
    from_person_id = ma.fields.String()
    from_name = ma.fields.String()
    to_person_id = ma.fields.String()
    to_name = ma.fields.String()
    reason = ma.fields.String()
    basis = ma.fields.String(allow_none=True)
    course_code = ma.fields.String(allow_none=True)
    course_title = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()


APPRECIATION_BASES = ("training", "improvement")


class AppreciationCreateSchema(ma.Schema):
    """Why the subordinate is recognised: a completed training (its course code) or a
    shown improvement."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=2000))
    basis = ma.fields.String(load_default=None, validate=ma.validate.OneOf(APPRECIATION_BASES))
    course_code = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=50))


class AppreciationListSchema(ma.Schema):
    """Recognition given in a unit and its sub-units, newest first."""

    items = ma.fields.List(ma.fields.Nested(AppreciationSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


class AppreciationListArgsSchema(ma.Schema):
    """Paging."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class PersonSchema(ma.Schema):
    """A person. NIP, birth date, sex and e-mail appear only for admins, services and themself."""

    id = ma.fields.String()
    nip = ma.fields.String(allow_none=True)
    name = ma.fields.String()
    birth_date = ma.fields.Date(allow_none=True)
    sex = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    employment_type = ma.fields.String(allow_none=True)
    grade = ma.fields.String(allow_none=True)
    pangkat = ma.fields.String(allow_none=True)
    position = ma.fields.String(allow_none=True)
    position_type = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String(allow_none=True)
    unit_name = ma.fields.String(allow_none=True)
    supervisor_id = ma.fields.String(allow_none=True)
    supervisor_name = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    username = ma.fields.String(allow_none=True)
    unit_history = ma.fields.List(ma.fields.Nested(UnitHistorySchema))
    appreciations = ma.fields.List(ma.fields.Nested(AppreciationSchema))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class PersonListArgsSchema(ma.Schema):
    """Paging, a search by name (or NIP, for admins), filters and a sort key."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=10_000))
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=100))
    unit_code = ma.fields.String(load_default=None, validate=ma.validate.Length(max=50))
    include_subunits = ma.fields.Boolean(
        load_default=False, metadata={"description": "With unit_code: its sub-units too"}
    )
    grade = ma.fields.String(load_default=None, validate=ma.validate.Length(max=20))
    position_type = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(POSITION_TYPE_CHOICES)
    )
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUS_CHOICES))
    employment_type = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(("PNS", "PPPK"))
    )
    role = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(ROLE_CHOICES),
        metadata={"description": "Only people whose account has this role"},
    )
    below_target = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Only active people below their JP target in `year`"},
    )
    year = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=2000, max=2100),
        metadata={"description": "Year of below_target (default: this year)"},
    )
    sort = ma.fields.String(
        load_default="name",
        validate=ma.validate.OneOf(SORT_CHOICES),
        metadata={"description": "A field, '-' first for descending"},
    )


class PersonPageSchema(ma.Schema):
    """A page of people."""

    items = ma.fields.List(ma.fields.Nested(PersonSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


class SupervisorSchema(ma.Schema):
    """One supervisor in a chain."""

    id = ma.fields.String()
    name = ma.fields.String()
    position = ma.fields.String(allow_none=True)
    unit_code = ma.fields.String(allow_none=True)


class SupervisorChainSchema(ma.Schema):
    """Supervisors, direct supervisor first."""

    items = ma.fields.List(ma.fields.Nested(SupervisorSchema))


class ImportRowErrorSchema(ma.Schema):
    """A problem in one field of one row (row = line number, header = 1)."""

    row = ma.fields.Integer()
    field = ma.fields.String()
    message = ma.fields.String()


class ImportResultSchema(ma.Schema):
    """What an import did."""

    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Nested(ImportRowErrorSchema))


class ImportJobSchema(ma.Schema):
    """A background import: queued, running (stage reading/checking/writing), done or failed."""

    id = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    stage = ma.fields.String()
    filename = ma.fields.String()
    rows_done = ma.fields.Integer(metadata={"description": "Rows written so far"})
    rows_total = ma.fields.Integer(metadata={"description": "Rows to write (known after checks)"})
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    error_count = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Nested(ImportRowErrorSchema))
    detail = ma.fields.String(allow_none=True, metadata={"description": "Why it failed"})
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


class ImportFileSchema(ma.Schema):
    """The uploaded CSV or XLSX file."""

    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ExportArgsSchema(ma.Schema):
    """Export format."""

    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(("csv", "xlsx")))


# ---- JP ledger ----

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


# ---- competencies ----

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


class UnitDevelopmentArgsSchema(ma.Schema):
    """Which units (those under parent_code; top-level ones without it) and which year."""

    parent_code = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=50))
    year = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=2000, max=2100))


class UnitDevelopmentSchema(ma.Schema):
    """One unit's figures (null when it has too few people to show them)."""

    unit_code = ma.fields.String()
    name = ma.fields.String()
    has_children = ma.fields.Boolean()
    mine = ma.fields.Boolean()
    people = ma.fields.Integer()
    enough_people = ma.fields.Boolean()
    at_target_share = ma.fields.Float(allow_none=True)
    trainings_completed = ma.fields.Integer(allow_none=True)
    unit_codes = ma.fields.List(ma.fields.String())


class UnitDevelopmentListSchema(ma.Schema):
    """The units compared."""

    year = ma.fields.Integer()
    parent_code = ma.fields.String(allow_none=True)
    min_people = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(UnitDevelopmentSchema))
