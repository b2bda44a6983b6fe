"""People: create, list, read, change, import/export, supervisor chain."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, require_roles
from cakap_shared.schemas import UtcDateTime, page_schema, state_field
from cakap_shared.tabular import XLSX_MIMETYPE, csv_response, xlsx_response
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import import_jobs, people, people_import, people_list
from ..domain.grades import PositionType
from ..domain.import_jobs import ImportStatus
from .appreciations import AppreciationSchema

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


PersonPageSchema = page_schema(PersonSchema, "PersonPage")


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
    status = state_field(ImportStatus)
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


blp = Blueprint("people", __name__, url_prefix="/api/v1/people", description="People records")


@blp.route("")
class People(MethodView):
    """People the caller may see."""

    @blp.arguments(PersonListArgsSchema, location="query")
    @blp.response(200, PersonPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List people: admins and services all; others themself and everyone below them."""
        return people_list.page(current_principal(), args)

    @blp.arguments(PersonCreateSchema)
    @blp.response(201, PersonSchema)
    @blp.alt_response(409, description="The NIP or username exists")
    def post(self, body: dict[str, Any]) -> people.PersonDetail:
        """Create a person (admin); 422 names the invalid field (NIP, grade, unit, supervisor)."""
        return people.create(require_roles("admin"), body)


@blp.route("/<string:person_id>")
class PeopleById(MethodView):
    """One person."""

    @blp.response(200, PersonSchema)
    def get(self, person_id: str) -> people.PersonDetail:
        """A person: admins, services, the person and anyone above them; 404 for others."""
        return people.detail(current_principal(), person_id)

    @blp.arguments(PersonUpdateSchema)
    @blp.response(200, PersonSchema)
    def patch(self, body: dict[str, Any], person_id: str) -> people.PersonDetail:
        """Change a person (admin): unit moves keep history, supervisor changes refuse cycles."""
        return people.change(current_principal(), person_id, body)


def _upload(files: dict[str, Any]) -> tuple[bytes, str]:
    """The uploaded file's bytes (one byte over the limit at most) and its name."""
    upload = files["file"]
    return upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1), upload.filename or ""


@blp.route("/import")
class PeopleImport(MethodView):
    """Bulk upsert from the national HR export."""

    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(413, description="The file is over the byte or row limit")
    @blp.alt_response(415, description="The file is neither CSV nor XLSX")
    def post(self, files: dict[str, Any]) -> dict[str, Any]:
        """Import people from CSV/XLSX (admin): upsert by NIP; bad rows are reported, not kept."""
        principal = require_roles("admin")
        return people_import.import_upload(*_upload(files), principal.id)


@blp.route("/import-jobs")
class PeopleImportJobs(MethodView):
    """Imports that run in the background (large files)."""

    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(202, ImportJobSchema)
    @blp.alt_response(413, description="The file is over the byte limit")
    def post(self, files: dict[str, Any]) -> import_jobs.ImportJobReport:
        """Start importing a CSV/XLSX people file (admin); poll the job for progress."""
        principal = require_roles("admin")
        return import_jobs.start(*_upload(files), principal.id)


@blp.route("/import-jobs/<string:job_id>")
class PeopleImportJobById(MethodView):
    """One background import."""

    @blp.response(200, ImportJobSchema)
    def get(self, job_id: str) -> import_jobs.ImportJobReport:
        """Progress, then counts and row errors (admin)."""
        require_roles("admin")
        return import_jobs.report(job_id)


@blp.route("/import-jobs/<string:job_id>/errors")
class PeopleImportJobErrors(MethodView):
    """The row errors of an import as a file."""

    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, description="CSV or XLSX file")
    def get(self, args: dict[str, Any], job_id: str) -> Response:
        """Row errors (line, field, message) as CSV or XLSX (admin)."""
        require_roles("admin")
        rows = import_jobs.error_rows(job_id)
        header = ["row", "field", "message"]
        name = f"import-errors-{job_id[:8]}.{args['format']}"
        if args["format"] == "xlsx":
            return xlsx_response(name, header, rows, sheet="Errors")
        return csv_response(name, header, rows)


EXPORT_MIMETYPES = {"csv": "text/csv", "xlsx": XLSX_MIMETYPE}


@blp.route("/export")
class PeopleExport(MethodView):
    """The people file, in the import's shape."""

    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, description="CSV or XLSX file")
    def get(self, args: dict[str, Any]) -> Response:
        """Export every person with a NIP as CSV or XLSX (admin)."""
        principal = require_roles("admin")
        body = people_import.export_file(args["format"], principal.id)
        response = Response(body, mimetype=EXPORT_MIMETYPES[args["format"]])
        response.headers["Content-Disposition"] = f'attachment; filename="people.{args["format"]}"'
        return response


@blp.route("/<string:person_id>/supervisors")
class PersonSupervisors(MethodView):
    """A person's line of supervisors."""

    @blp.response(200, SupervisorChainSchema)
    def get(self, person_id: str) -> dict[str, Any]:
        """Supervisors of a person, direct supervisor first."""
        return people.supervisors(current_principal(), person_id)
