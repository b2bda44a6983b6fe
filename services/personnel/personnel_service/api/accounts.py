"""Accounts: refresh and logout, activation, password change and reset, deactivation."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from cakap_shared.auth import current_principal, public, require_roles
from cakap_shared.db import MAX_PER_PAGE
from cakap_shared.problems import CakapError
from cakap_shared.schemas import PageArgsSchema, UtcDateTime, page_schema, state_field
from cakap_shared.tabular import XLSX_MIMETYPE, csv_response, xlsx_response
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain import account_mail, accounts, activation_sheet_pdf, rights
from ..extensions import db
from ..models import Account, AccountState, Unit
from .auth import TokenPairSchema

PDF_MIMETYPE = "application/pdf"

blp = Blueprint(
    "accounts", __name__, url_prefix="/api/v1", description="Accounts, passwords and sessions"
)
PASSWORD = ma.validate.Length(min=1, max=1024)


class RefreshSchema(ma.Schema):
    """A refresh token."""

    refresh_token = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class ActivateSchema(ma.Schema):
    """Activation: the login name (or NIP), the code handed out, the new password."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class ActivatedSchema(ma.Schema):
    """The activated account: sign in with this user name now."""

    username = ma.fields.String()
    state = state_field(AccountState)


class PasswordChangeSchema(ma.Schema):
    """The current password and the new one."""

    old_password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)
    new_password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class ResetRequestSchema(ma.Schema):
    """Who forgot their password."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))


class ResetConfirmSchema(ma.Schema):
    """The code from the reset mail and the new password."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    code = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    new_password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class ActivationCodeSchema(ma.Schema):
    """A one-time activation code (shown once; only its digest is kept)."""

    code = ma.fields.String()
    expires_at = UtcDateTime()
    username = ma.fields.String()


class UnitActivationSchema(ActivationCodeSchema):
    """One person's activation code on a unit's sheet."""

    person_id = ma.fields.String()
    nip = ma.fields.String()
    name = ma.fields.String()
    unit_code = ma.fields.String()


class UnitActivationListSchema(ma.Schema):
    """Codes for everyone in a unit (and below) whose account waits for activation."""

    items = ma.fields.List(ma.fields.Nested(UnitActivationSchema))
    total = ma.fields.Integer()


class UnitAccountSchema(ma.Schema):
    """One person of a unit and their account state (none, pending, active, deactivated)."""

    person_id = ma.fields.String(attribute="id")
    nip = ma.fields.String()
    name = ma.fields.String()
    unit_code = ma.fields.String()
    username = ma.fields.String(allow_none=True, attribute="account.username", dump_default=None)
    state = state_field(AccountState, attribute="account.state", dump_default=AccountState.NONE)


UnitAccountPageSchema = page_schema(UnitAccountSchema, "UnitAccountPage")


class AccountSchema(ma.Schema):
    """A person's account: state (none, pending, active, deactivated), never a secret."""

    person_id = ma.fields.String()
    username = ma.fields.String(allow_none=True)
    roles = ma.fields.List(ma.fields.String())
    state = state_field(AccountState)
    must_change_password = ma.fields.Boolean()
    activated_at = UtcDateTime(allow_none=True)
    deactivated_at = UtcDateTime(allow_none=True)
    password_changed_at = UtcDateTime(allow_none=True)
    activation_expires_at = UtcDateTime(allow_none=True)


class TemporaryPasswordSchema(ma.Schema):
    """A password to hand over once; it must be changed at the next sign-in."""

    username = ma.fields.String()
    temporary_password = ma.fields.String()


def _address() -> str:
    return request.remote_addr or "unknown"


@blp.route("/auth/refresh")
@public
class Refresh(MethodView):
    """Token rotation."""

    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Unknown, used, revoked or expired refresh token")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """A new access and refresh token; presenting a used one revokes its whole family."""
        return accounts.refresh(body["refresh_token"])


@blp.route("/auth/logout")
@public
class Logout(MethodView):
    """Sign-out."""

    @blp.arguments(RefreshSchema)
    @blp.response(204)
    def post(self, body: dict[str, str]) -> None:
        """Revoke the refresh token's family (always 204: logging out twice is fine)."""
        accounts.refresh_tokens.logout(body["refresh_token"])
        db.session.commit()


@blp.route("/auth/activate")
@public
class Activate(MethodView):
    """First password, with the code BKPSDM or the OPD handed out."""

    @blp.arguments(ActivateSchema)
    @blp.response(200, ActivatedSchema)
    @blp.alt_response(400, description="Wrong, used or expired code (`reason`)")
    @blp.alt_response(422, description="The password is too weak (errors.password)")
    @blp.alt_response(429, description="Too many failed attempts; see Retry-After")
    def post(self, body: dict[str, str]) -> Account:
        """Activate an account: the code is spent and the password set; then sign in."""
        return accounts.redeem_code(
            body["username"], body["code"], accounts.ACTIVATION, body["password"], _address()
        )


@blp.route("/auth/password")
class Password(MethodView):
    """The caller's own password."""

    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(400, description="The current password is wrong")
    @blp.alt_response(422, description="The new password is too weak")
    def post(self, body: dict[str, str]) -> None:
        """Change the password (the old one is required); other sessions end."""
        principal = current_principal()
        if principal.is_service:
            raise CakapError(403, "Services have no password.")
        accounts.change_password(
            principal.id, body["old_password"], body["new_password"], _address()
        )


@blp.route("/auth/password-reset")
@public
class PasswordReset(MethodView):
    """Forgotten password."""

    @blp.arguments(ResetRequestSchema)
    @blp.response(202)
    @blp.alt_response(429, description="Too many requests from this address")
    def post(self, body: dict[str, str]) -> dict[str, str]:
        """Mail a one-time reset code; the same answer whether the account exists or not."""
        account_mail.request_reset(body["username"], _address())
        return {"detail": "If the account exists and has an e-mail address, a code was sent."}


@blp.route("/auth/password-reset/confirm")
@public
class PasswordResetConfirm(MethodView):
    """Setting a new password with the mailed code."""

    @blp.arguments(ResetConfirmSchema)
    @blp.response(204)
    @blp.alt_response(400, description="Wrong, used or expired code (`reason`)")
    @blp.alt_response(422, description="The password is too weak")
    def post(self, body: dict[str, str]) -> None:
        """Spend the reset code and set the new password; every session of the account ends."""
        accounts.redeem_code(
            body["username"], body["code"], accounts.RESET, body["new_password"], _address()
        )


@blp.route("/people/<string:person_id>/activation")
class PersonActivation(MethodView):
    """One person's activation code."""

    @blp.response(201, ActivationCodeSchema)
    @blp.alt_response(409, description="The account is already active")
    def post(self, person_id: str) -> dict[str, Any]:
        """Issue a one-time activation code (admin, or the OPD admin of the person's unit).

        An earlier unused code stops working.
        """
        principal = current_principal()
        person = rights.managed_person(principal, person_id)
        return accounts.issue_activation(person, principal.id)


@blp.route("/units/<string:code>/activations")
class UnitActivations(MethodView):
    """A unit's activation sheet."""

    @blp.response(201, UnitActivationListSchema)
    @blp.alt_response(404, description="No such unit")
    def post(self, code: str) -> Any:
        """Codes for the unit's (and its sub-units') people not yet activated.

        For an admin, or an OPD admin whose units include this one. With `Accept: text/csv`
        (or the XLSX type) the same as a file to print. Every call issues new codes: the
        previous sheet of the unit stops working.
        """
        principal = current_principal()
        rights.managed_unit(principal, code)
        rows = accounts.issue_unit_activations(code, principal.id)
        return _activation_answer(f"aktivasi-{code}", code, rows)


@blp.route("/people/import-jobs/<string:job_id>/activations")
class ImportActivations(MethodView):
    """The activation sheet of an import."""

    @blp.response(201, UnitActivationListSchema)
    @blp.alt_response(404, description="No such import job")
    @blp.alt_response(409, description="The import has not finished")
    def post(self, job_id: str) -> Any:
        """Codes for exactly the people the import created whose account is still pending (admin).

        Same answers as a unit's sheet (JSON, CSV, XLSX, PDF); every call issues new codes.
        """
        principal = require_roles("admin")
        rows = accounts.issue_import_activations(job_id, principal.id)
        return _activation_answer(f"aktivasi-impor-{job_id[:8]}", None, rows)


@blp.route("/units/<string:code>/accounts")
class UnitAccounts(MethodView):
    """Who in a unit has which account state."""

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, UnitAccountPageSchema)
    @blp.alt_response(404, description="No such unit")
    def get(self, args: dict[str, int], code: str) -> dict[str, Any]:
        """The unit's (and its sub-units') people and account states (admin, or its OPD admin)."""
        rights.managed_unit(current_principal(), code)
        return accounts.unit_accounts(code, args["page"], min(args["per_page"], MAX_PER_PAGE))


SHEET_TYPES = ["application/json", "text/csv", XLSX_MIMETYPE, PDF_MIMETYPE]


def _activation_answer(
    filename: str, unit_code: str | None, rows: list[dict[str, Any]]
) -> Response | dict[str, Any]:
    """JSON, or the sheet as the file type the caller accepts (201 either way)."""
    best = request.accept_mimetypes.best_match(SHEET_TYPES)
    if best == PDF_MIMETYPE:
        config = current_app.config
        body = activation_sheet_pdf.render(
            rows,
            unit_name=_unit_name(unit_code),
            activation_url=f"{config['PUBLIC_BASE_URL'].rstrip('/')}/aktivasi",
            font_path=config.get("PDF_FONT_PATH"),
            zone=config["TIMEZONE"],
        )
        response = Response(body, status=201, mimetype=PDF_MIMETYPE)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    if best in ("text/csv", XLSX_MIMETYPE):
        return _activation_sheet(filename, rows, "csv" if best == "text/csv" else "xlsx")
    return {"items": rows, "total": len(rows)}


def _unit_name(unit_code: str | None) -> str | None:
    unit = db.session.get(Unit, unit_code) if unit_code else None
    return f"{unit.name} ({unit.code})" if unit else None


def _activation_sheet(filename: str, rows: list[dict[str, Any]], kind: str) -> Response:
    header = ["nip", "name", "unit_code", "username", "code", "expires_at"]
    values = [[row[name] for name in header[:-1]] + [row["expires_at"].isoformat()] for row in rows]
    filename = f"{filename}.{kind}"
    if kind == "xlsx":
        response = xlsx_response(filename, header, values, sheet="Aktivasi")
    else:
        response = csv_response(filename, header, values)
    response.status_code = 201
    return response


class MailQueuedSchema(ma.Schema):
    """Whose activation e-mail was queued, and who could not get one (ids)."""

    queued = ma.fields.List(ma.fields.String())
    without_email = ma.fields.List(ma.fields.String())
    not_pending = ma.fields.List(ma.fields.String())


class MailCodeSchema(ActivationCodeSchema):
    """A fresh code for notification to write into an account mail (shown once)."""

    purpose = ma.fields.String()
    name = ma.fields.String()
    link = ma.fields.String()


@blp.route("/people/<string:person_id>/activation-mail")
class PersonActivationMail(MethodView):
    """One person's activation by e-mail."""

    @blp.response(202, MailQueuedSchema)
    @blp.alt_response(409, description="Already active, or no e-mail address (`code`)")
    def post(self, person_id: str) -> dict[str, Any]:
        """Queue an activation e-mail (admin, or the person's OPD admin); notification sends it.

        The mailed code replaces any earlier unused one, printed or mailed.
        """
        principal = current_principal()
        person = rights.managed_person(principal, person_id)
        return account_mail.mail_person_activation(person, principal.id)


@blp.route("/units/<string:code>/activation-mails")
class UnitActivationMails(MethodView):
    """A unit's activation by e-mail."""

    @blp.response(202, MailQueuedSchema)
    @blp.alt_response(404, description="No such unit")
    def post(self, code: str) -> dict[str, Any]:
        """Queue activation e-mails for the unit's (and sub-units') pending people with an address.

        For an admin or the unit's OPD admin; `without_email` lists whom to hand a sheet.
        """
        principal = current_principal()
        rights.managed_unit(principal, code)
        return account_mail.mail_activation(list(accounts.unit_people(code)), principal.id)


@blp.route("/account-mails/<string:mail_id>/code")
class AccountMailCode(MethodView):
    """The code notification writes into an activation or reset e-mail."""

    @blp.response(201, MailCodeSchema)
    @blp.alt_response(404, description="No such mail request")
    @blp.alt_response(410, description="The request expired, was used up or no longer fits")
    def post(self, mail_id: str) -> dict[str, Any]:
        """A fresh one-time code for a requested mail (the notification service only)."""
        principal = require_roles("service")
        return account_mail.collect_code(mail_id, principal.id)


@blp.route("/people/<string:person_id>/account")
class PersonAccount(MethodView):
    """A person's account state."""

    @blp.response(200, AccountSchema)
    def get(self, person_id: str) -> accounts.AccountStatus:
        """The account's state (admin, the OPD admin of the person's unit, or the person)."""
        return accounts.status(current_principal(), person_id)


@blp.route("/people/<string:person_id>/deactivate")
class PersonDeactivate(MethodView):
    """Locking an account."""

    @blp.response(200, AccountSchema)
    @blp.alt_response(409, description="No account, or it is the caller's own")
    def post(self, person_id: str) -> accounts.AccountStatus:
        """Deactivate the account (admin): sign-in and refresh stop at once."""
        return accounts.lock(require_roles("admin"), person_id)


@blp.route("/people/<string:person_id>/password-reset")
class PersonPasswordReset(MethodView):
    """An administrator's password reset."""

    @blp.response(201, TemporaryPasswordSchema)
    @blp.alt_response(409, description="No usable account (issue an activation instead)")
    def post(self, person_id: str) -> dict[str, Any]:
        """A temporary password (admin) that must be changed at the next sign-in."""
        return accounts.admin_reset(require_roles("admin"), person_id)
