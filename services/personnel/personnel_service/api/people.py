"""People: create, list, read, change, import/export, supervisor chain."""

from __future__ import annotations

from typing import Any

from cakap_shared.auth import current_principal, require_roles
from cakap_shared.db import MAX_PER_PAGE
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from cakap_shared.tabular import csv_response, xlsx_response
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..clock import today
from ..domain import import_jobs, people, people_import, people_list, rights
from ..domain.people_file import write_people_csv, write_people_xlsx
from ..domain.rights import Relation
from ..extensions import db
from ..models import Person
from ..schemas import (
    ExportArgsSchema,
    ImportFileSchema,
    ImportJobSchema,
    ImportResultSchema,
    PersonCreateSchema,
    PersonListArgsSchema,
    PersonPageSchema,
    PersonSchema,
    PersonUpdateSchema,
    SupervisorChainSchema,
)

blp = Blueprint("people", __name__, url_prefix="/api/v1/people", description="People records")


@blp.route("")
class People(MethodView):
    """People the caller may see."""

    @blp.arguments(PersonListArgsSchema, location="query")
    @blp.response(200, PersonPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List people: admins and services all; others themself and everyone below them."""
        principal = current_principal()
        if args["year"] is None:
            args["year"] = today().year
        per_page = min(args["per_page"], MAX_PER_PAGE)
        found = people_list.list_people(principal, args, per_page)
        rows, total = found["rows"], found["total"]

        def rel(person: Person) -> Relation:
            if principal.is_admin:
                return Relation.ADMIN
            if principal.is_service:
                return Relation.SERVICE
            return Relation.SELF if person.id == principal.id else Relation.SUPERVISOR

        return {
            "items": [people.person_view(p, rel(p)) for p in rows],
            "total": total,
            "page": args["page"],
            "per_page": per_page,
        }

    @blp.arguments(PersonCreateSchema)
    @blp.response(201, PersonSchema)
    @blp.alt_response(409, description="The NIP or username exists")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a person (admin); 422 names the invalid field (NIP, grade, unit, supervisor)."""
        principal = require_roles("admin")
        person = people.create_person(body)
        db.session.commit()
        audit("person.created", actor=principal.id, person_id=person.id)
        return people.person_view(person, Relation.ADMIN, detail=True)


@blp.route("/<string:person_id>")
class PeopleById(MethodView):
    """One person."""

    @blp.response(200, PersonSchema)
    def get(self, person_id: str) -> dict[str, Any]:
        """A person: admins, services, the person and anyone above them; 404 for others."""
        person, rel = rights.visible_person(current_principal(), person_id)
        return people.person_view(person, rel, detail=True)

    @blp.arguments(PersonUpdateSchema)
    @blp.response(200, PersonSchema)
    def patch(self, body: dict[str, Any], person_id: str) -> dict[str, Any]:
        """Change a person (admin): unit moves keep history, supervisor changes refuse cycles."""
        principal = current_principal()
        person, rel = rights.visible_person(principal, person_id)
        if rel is not Relation.ADMIN:
            raise CakapError(403, "Only an administrator changes people records.")
        people.update_person(person, body)
        db.session.commit()
        audit("person.updated", actor=principal.id, person_id=person.id, fields=sorted(body))
        return people.person_view(person, rel, detail=True)


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
        upload = files["file"]
        data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        result = people_import.import_people(data)
        audit(
            "people.imported",
            actor=principal.id,
            filename=(upload.filename or "")[:200],
            created=result["created"],
            updated=result["updated"],
            errors=len(result["errors"]),
        )
        return result


@blp.route("/import-jobs")
class PeopleImportJobs(MethodView):
    """Imports that run in the background (large files)."""

    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(202, ImportJobSchema)
    @blp.alt_response(413, description="The file is over the byte limit")
    def post(self, files: dict[str, Any]) -> dict[str, Any]:
        """Start importing a CSV/XLSX people file (admin); poll the job for progress."""
        principal = require_roles("admin")
        upload = files["file"]
        data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
            raise CakapError(413, "The file is larger than the import limit.")
        job = import_jobs.start(data, upload.filename or "", principal.id)
        audit("people.import_started", actor=principal.id, job_id=job.id)
        return import_jobs.view(job)


@blp.route("/import-jobs/<string:job_id>")
class PeopleImportJobById(MethodView):
    """One background import."""

    @blp.response(200, ImportJobSchema)
    def get(self, job_id: str) -> dict[str, Any]:
        """Progress, then counts and row errors (admin)."""
        require_roles("admin")
        return import_jobs.view(import_jobs.get(job_id))


@blp.route("/import-jobs/<string:job_id>/errors")
class PeopleImportJobErrors(MethodView):
    """The row errors of an import as a file."""

    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, description="CSV or XLSX file")
    def get(self, args: dict[str, Any], job_id: str) -> Response:
        """Row errors (line, field, message) as CSV or XLSX (admin)."""
        require_roles("admin")
        rows = import_jobs.error_rows(import_jobs.get(job_id))
        header = ["row", "field", "message"]
        name = f"import-errors-{job_id[:8]}.{args['format']}"
        if args["format"] == "xlsx":
            return xlsx_response(name, header, rows, sheet="Errors")
        return csv_response(name, header, rows)


@blp.route("/export")
class PeopleExport(MethodView):
    """The people file, in the import's shape."""

    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, description="CSV or XLSX file")
    def get(self, args: dict[str, Any]) -> Response:
        """Export every person with a NIP as CSV or XLSX (admin)."""
        principal = require_roles("admin")
        rows = people_import.export_rows()
        audit("people.exported", actor=principal.id, rows=len(rows), format=args["format"])
        if args["format"] == "xlsx":
            body = write_people_xlsx(rows)
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = write_people_csv(rows)
            mimetype = "text/csv"
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="people.{args["format"]}"'
        return response


@blp.route("/<string:person_id>/supervisors")
class PersonSupervisors(MethodView):
    """A person's line of supervisors."""

    @blp.response(200, SupervisorChainSchema)
    def get(self, person_id: str) -> dict[str, Any]:
        """Supervisors of a person, direct supervisor first."""
        rights.visible_person(current_principal(), person_id)
        chain = rights.supervisor_chain(person_id)
        return {
            "items": [
                {"id": p.id, "name": p.name, "position": p.position, "unit_code": p.unit_code}
                for p in chain
            ]
        }
