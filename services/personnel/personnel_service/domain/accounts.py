"""Accounts: sign-in, activation, passwords (change, admin reset, self-service reset), lock.

Every password event is audit-logged with who and which account, never the password.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import aware, paginate, utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Account,
    AccountCode,
    AccountState,
    ImportJob,
    ImportJobPerson,
    Person,
    Unit,
)
from . import refresh_tokens, rights, throttle
from .import_jobs import ImportStatus
from .login_names import name_tag
from .password_policy import password_problems
from .passwords import hash_password, needs_rehash, verify_password
from .people import UNUSABLE_PASSWORD
from .secrets import digest, new_code, new_temporary_password, normalise_code

ACTIVATION, RESET = "activation", "reset"
_WRONG_CODE = {
    ACTIVATION: "The activation code is wrong, used or expired.",
    RESET: "The reset code is wrong, used or expired.",
}


def find_account(username: str) -> Account | None:
    """The account signing in with this login name or NIP."""
    return db.session.scalar(
        select(Account)
        .join(Person)
        .where(or_(Account.username == username, Person.nip == username))
    )


def token_claims(account: Account) -> dict[str, Any]:
    """What an access token says about its holder (short-lived, so copies are fresh enough)."""
    person = account.person
    claims: dict[str, Any] = {
        "sub": person.id,
        "username": account.username,
        "name": person.name,
        # Until a forced change is done, the token carries no role: it can read /me and
        # change the password, nothing a role grants.
        "roles": [] if account.must_change_password else account.role_list,
    }
    if account.must_change_password:
        claims["pwd_change"] = True
    if person.nip:
        claims["unit_code"] = person.unit_code
        claims["supervisor_id"] = person.supervisor_id
    return claims


def token_pair(account: Account, issued: refresh_tokens.Issued) -> dict[str, Any]:
    """The body of a sign-in or refresh answer."""
    issuer = current_app.extensions["cakap_token_issuer"]
    return {
        "access_token": issuer.user_token(token_claims(account)),
        "token_type": "Bearer",
        "expires_in": issuer.access_ttl,
        "refresh_token": issued.token,
        "refresh_expires_in": issued.expires_in,
        "password_change_required": account.must_change_password,
    }


def _who(account: Account | None, typed: str) -> dict[str, str]:
    """How the log names a sign-in attempt: never the typed text (it may be a password)."""
    return {"account_id": account.id} if account else {"login_tag": name_tag(typed)}


def _throttled(
    attempt: throttle.Attempt, account: Account | None, username: str, address: str
) -> CakapError:
    throttle.withdraw(attempt)
    db.session.commit()
    audit("auth.throttled", **_who(account, username), address=address)
    return CakapError(
        429,
        "Too many failed attempts. Try again later.",
        headers={"Retry-After": str(attempt.wait)},
    )


def sign_in(username: str, password: str, address: str) -> dict[str, Any]:
    """Check the password (throttled) and start a refresh family; the token pair."""
    username = username.strip()
    account = find_account(username)
    # Reserved before the password is checked, so parallel guesses stay within budget.
    attempt = throttle.begin(username, address, account.person_id if account else None)
    if attempt.wait is not None:
        raise _throttled(attempt, account, username, address)
    ok = verify_password(account.password_hash if account else None, password)
    if not ok or account is None:
        # The reservation stays: it is this failure's record.
        audit("auth.failed", **_who(account, username), address=address)
        raise CakapError(
            401,
            "Wrong user name or password.",
            headers={"WWW-Authenticate": 'Bearer realm="cakap"'},
        )
    throttle.withdraw(attempt)  # right passwords never count
    if not account.is_active:
        db.session.commit()
        audit("auth.refused_inactive", actor=account.person_id, address=address)
        # Only someone who knows the password learns this: no enumeration.
        raise CakapError(403, "This account is deactivated.", code="account-deactivated")
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    issued = refresh_tokens.start_family(account)
    db.session.commit()
    audit(
        "auth.signed_in",
        account_id=account.id,
        username=account.username,
        address=address,
        actor=account.person_id,
    )
    return token_pair(account, issued)


def refresh(token: str) -> dict[str, Any]:
    """A new token pair for a refresh token (rotated); 401 when refused."""
    try:
        account, issued = refresh_tokens.rotate(token)
    except refresh_tokens.RefreshRefused as refused:
        raise CakapError(
            401,
            f"The refresh token is not valid ({refused}); sign in again.",
            code="refresh-invalid",
        ) from None
    return token_pair(account, issued)


# ---- activation and one-time codes ----


def ensure_account(person: Person) -> Account:
    """The person's account, made (pending, login by NIP) when they have none."""
    if person.account is not None:
        return person.account
    if not person.nip:
        raise CakapError(
            409,
            "This person has no NIP and no account; create one with a username.",
            code="account-none",
        )
    if db.session.scalar(select(Account.id).where(Account.username == person.nip)) is not None:
        raise CakapError(
            409, f"The username {person.nip} is taken by another account.", code="username-taken"
        )
    account = Account(
        person_id=person.id, username=person.nip, password_hash=UNUSABLE_PASSWORD, is_active=False
    )
    db.session.add(account)
    db.session.flush()
    person.account = account
    return account


def _issue_code(account: Account, purpose: str, ttl: int, actor: str | None) -> dict[str, Any]:
    """A new code for `account`; earlier unused codes of the same purpose stop working."""
    db.session.execute(
        delete(AccountCode).where(
            AccountCode.account_id == account.id,
            AccountCode.purpose == purpose,
            AccountCode.used_at.is_(None),
        )
    )
    code = new_code()
    expires_at = utcnow() + timedelta(seconds=ttl)
    db.session.add(
        AccountCode(
            account_id=account.id,
            purpose=purpose,
            code_hash=digest(code),
            expires_at=expires_at,
            created_by=actor,
        )
    )
    return {"code": code, "expires_at": expires_at, "username": account.username}


def issue_activation(person: Person, actor: str) -> dict[str, Any]:
    """A one-time activation code for a person without an active account (commits)."""
    account = ensure_account(person)
    if account.is_active:
        raise CakapError(
            409,
            "This account is already active; reset its password instead.",
            code="account-active",
        )
    issued = _issue_code(account, ACTIVATION, current_app.config["ACTIVATION_CODE_TTL"], actor)
    db.session.commit()
    audit("auth.activation_issued", actor=actor, account_id=account.id)
    return issued


def unit_codes(code: str) -> list[str]:
    """The unit and every unit below it."""
    found, frontier = [code], [code]
    while frontier:
        frontier = list(db.session.scalars(select(Unit.code).where(Unit.parent_code.in_(frontier))))
        found.extend(frontier)
    return found


def unit_people(unit_code: str) -> Sequence[Person]:
    """The people with a NIP in the unit and below it, by unit and name; 404 for no unit."""
    if db.session.get(Unit, unit_code) is None:
        raise CakapError(404, "No such unit.")
    return db.session.scalars(
        select(Person)
        .where(Person.unit_code.in_(unit_codes(unit_code)), Person.nip.is_not(None))
        .order_by(Person.unit_code, Person.name, Person.id)
    ).all()


def issue_unit_activations(unit_code: str, actor: str) -> list[dict[str, Any]]:
    """Codes for everyone in the unit (and below) whose account was never activated (commits).

    Deactivated accounts are left out: reopening one is a decision about one person.
    """
    rows = _issue_for(unit_people(unit_code), actor)
    audit("auth.activation_issued", actor=actor, unit_code=unit_code, count=len(rows))
    return rows


def issue_import_activations(job_id: str, actor: str) -> list[dict[str, Any]]:
    """Codes for exactly the people an import job created, those still pending (commits).

    People the import only updated are not on the list: they had accounts before it.
    """
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise CakapError(404, "No such import job.")
    if job.status != ImportStatus.DONE:
        raise CakapError(
            409, "The import has not finished; wait for its result.", code="import-not-done"
        )
    people = db.session.scalars(
        select(Person)
        .join(ImportJobPerson, ImportJobPerson.person_id == Person.id)
        .where(ImportJobPerson.job_id == job_id)
        .order_by(Person.unit_code, Person.name, Person.id)
    ).all()
    rows = _issue_for(people, actor)
    audit("auth.activation_issued", actor=actor, import_job_id=job_id, count=len(rows))
    return rows


def _issue_for(people: Sequence[Person], actor: str) -> list[dict[str, Any]]:
    """A new activation code for each of `people` whose account is pending or missing; commits."""
    ttl = current_app.config["ACTIVATION_CODE_TTL"]
    rows = []
    for person in people:
        account = person.account
        if account is not None and account.state != AccountState.PENDING:
            continue
        try:
            with db.session.begin_nested():
                account = ensure_account(person)
        except CakapError:
            continue  # a NIP taken as someone else's login name: left for one-by-one handling
        issued = _issue_code(account, ACTIVATION, ttl, actor)
        rows.append(
            {
                "person_id": person.id,
                "nip": person.nip,
                "name": person.name,
                "unit_code": person.unit_code,
                **issued,
            }
        )
    db.session.commit()
    return rows


def unit_accounts(unit_code: str, page_no: int, per_page: int) -> dict[str, Any]:
    """The unit's (and its sub-units') people with a NIP and their accounts, a page at a time."""
    if db.session.get(Unit, unit_code) is None:
        raise CakapError(404, "No such unit.")
    query = (
        select(Person)
        .where(Person.unit_code.in_(unit_codes(unit_code)), Person.nip.is_not(None))
        .order_by(Person.unit_code, Person.name, Person.id)
        .options(selectinload(Person.account))
    )
    return paginate(db, query, page_no, per_page)


def _personal(account: Account) -> tuple[str | None, ...]:
    return (account.person.nip, account.username, account.person.name)


def check_password(account: Account, password: str, field: str) -> None:
    """422 on `field` when the policy refuses the password."""
    problems = password_problems(password, personal=_personal(account))
    if problems:
        raise CakapError(
            422,
            "The password is too weak.",
            errors={field: [message for _rule, message in problems]},
            code=f"password-{problems[0][0]}",
        )


def _set_password(account: Account, password: str) -> None:
    account.password_hash = hash_password(password)
    account.password_changed_at = utcnow()
    account.must_change_password = False
    # A new password ends every session that the old one started.
    refresh_tokens.revoke_account(account.id)


def redeem_code(username: str, code: str, purpose: str, password: str, address: str) -> Account:
    """Use an activation or reset code to set a password (commits); 400 for a bad code."""
    username = username.strip()
    account = find_account(username)
    attempt = throttle.begin(username, address, account.person_id if account else None)
    if attempt.wait is not None:
        raise _throttled(attempt, account, username, address)
    now = utcnow()
    row = None
    if account is not None:
        row = db.session.scalar(
            select(AccountCode).where(
                AccountCode.account_id == account.id,
                AccountCode.purpose == purpose,
                AccountCode.code_hash == digest(normalise_code(code)),
            )
        )
    usable = purpose == RESET and account is not None and account.is_active
    usable = usable or (purpose == ACTIVATION and account is not None and not account.is_active)
    if row is None or not usable:
        audit(f"auth.{purpose}_refused", **_who(account, username), address=address, reason="wrong")
        raise CakapError(400, _WRONG_CODE[purpose], errors={"code": ["wrong"]}, code="code-wrong")
    # Whoever holds the right code may learn why it no longer works.
    reason = "used" if row.used_at is not None else None
    if reason is None and aware(row.expires_at) <= now:
        reason = "expired"
    throttle.withdraw(attempt)
    db.session.commit()
    if reason:
        raise _code_refused(purpose, account, reason)
    check_password(account, password, "password")  # nothing written yet: the code stays usable
    # Claimed only if still unused: two redemptions at once (one code, two tabs or two
    # people) both read it unused above, and only one may set a password with it.
    claimed = db.session.execute(
        update(AccountCode)
        .where(AccountCode.id == row.id, AccountCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise _code_refused(purpose, account, "used")
    _set_password(account, password)
    if purpose == ACTIVATION:
        account.is_active, account.deactivated_at, account.activated_at = True, None, now
    db.session.commit()
    audit("auth.activated" if purpose == ACTIVATION else "auth.password_reset",
          actor=account.person_id, account_id=account.id)  # fmt: skip
    return account


def _code_refused(purpose: str, account: Account, reason: str) -> CakapError:
    audit(f"auth.{purpose}_refused", actor=account.person_id, reason=reason)
    return CakapError(400, _WRONG_CODE[purpose], errors={"code": [reason]}, code=f"code-{reason}")


def change_password(person_id: str, old: str, new: str, address: str) -> None:
    """The signed-in person changes their password (old one required; commits)."""
    account = db.session.scalar(select(Account).where(Account.person_id == person_id))
    if account is None or not account.is_active:
        raise CakapError(
            403, "This account cannot change its password.", code="account-deactivated"
        )
    attempt = throttle.begin(account.username, address, account.person_id)
    if attempt.wait is not None:
        raise _throttled(attempt, account, account.username, address)
    if not verify_password(account.password_hash, old):
        audit("auth.password_change_refused", actor=person_id, reason="wrong old password")
        raise CakapError(
            400,
            "The current password is wrong.",
            errors={"old_password": ["wrong password"]},
            code="password-wrong",
        )
    throttle.withdraw(attempt)
    db.session.commit()
    if old == new:
        raise CakapError(
            422,
            "The new password is the current one.",
            errors={"new_password": ["choose a password different from the current one"]},
            code="password-unchanged",
        )
    check_password(account, new, "new_password")
    _set_password(account, new)
    db.session.commit()
    audit("auth.password_changed", actor=person_id, account_id=account.id)


def admin_reset(principal: Principal, person_id: str) -> dict[str, Any]:
    """A temporary password (admin) that must be changed at the next sign-in (commits)."""
    person, _rel = rights.visible_person(principal, person_id)
    actor = principal.id
    account = person.account
    if account is None or account.state == AccountState.DEACTIVATED:
        raise CakapError(
            409,
            "This person has no usable account; issue an activation instead.",
            code="account-unusable",
        )
    temporary = new_temporary_password()
    _set_password(account, temporary)
    account.must_change_password = True
    if not account.is_active:
        account.is_active, account.activated_at = True, utcnow()
    db.session.execute(
        delete(AccountCode).where(
            AccountCode.account_id == account.id, AccountCode.used_at.is_(None)
        )
    )
    db.session.commit()
    audit("auth.password_reset_by_admin", actor=actor, account_id=account.id)
    return {"username": account.username, "temporary_password": temporary}


def deactivate(person: Person, actor: str) -> Account:
    """Lock the account: no sign-in, every refresh token dead at once (commits)."""
    if person.id == actor:
        raise CakapError(409, "You cannot deactivate your own account.", code="account-self")
    account = person.account
    if account is None:
        raise CakapError(409, "This person has no account.", code="account-none")
    account.is_active = False
    account.deactivated_at = account.deactivated_at or utcnow()
    refresh_tokens.revoke_account(account.id)
    db.session.execute(
        delete(AccountCode).where(
            AccountCode.account_id == account.id, AccountCode.used_at.is_(None)
        )
    )
    db.session.commit()
    audit("auth.deactivated", actor=actor, account_id=account.id)
    return account


class AccountStatus:
    """A person's account as an admin (or its holder) sees it; never a secret.

    Without an account: the state `none`, no login name, no roles, and nothing else.
    """

    def __init__(self, person: Person) -> None:
        self.person_id = person.id
        self.account = person.account
        if self.account is not None:
            self.activation_expires_at = db.session.scalar(
                select(AccountCode.expires_at)
                .where(
                    AccountCode.account_id == self.account.id,
                    AccountCode.purpose == ACTIVATION,
                    AccountCode.used_at.is_(None),
                )
                .order_by(AccountCode.expires_at.desc())
                .limit(1)
            )

    def __getattr__(self, name: str) -> Any:
        if self.account is None:
            if name not in _NO_ACCOUNT:
                raise AttributeError(name)
            return _NO_ACCOUNT[name]
        return self.account.role_list if name == "roles" else getattr(self.account, name)


_NO_ACCOUNT: dict[str, Any] = {"state": AccountState.NONE, "username": None, "roles": []}


def lock(principal: Principal, person_id: str) -> AccountStatus:
    """Deactivate (admin) the account of a person; its status afterwards."""
    person, _rel = rights.visible_person(principal, person_id)
    deactivate(person, principal.id)
    return AccountStatus(person)


def status(principal: Principal, person_id: str) -> AccountStatus:
    """The account of a person, for an admin, the OPD admin of their unit, or the person."""
    if principal.has_role(rights.OPD_ADMIN) and principal.id != person_id:
        return AccountStatus(rights.managed_person(principal, person_id))
    person, rel = rights.visible_person(principal, person_id)
    if rel not in (rights.Relation.ADMIN, rights.Relation.SELF):
        raise CakapError(403, "Only an administrator or the person sees the account.")
    return AccountStatus(person)
