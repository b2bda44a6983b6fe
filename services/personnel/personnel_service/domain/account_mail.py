"""Activation and reset e-mails, written and sent by notification.

Personnel records the request and publishes `account.mail_requested` in the same
transaction; the event names the mail, never a code. When notification writes the mail it
collects a fresh code (`collect_code`): the code then exists only in that answer and in the
mail itself, while personnel keeps its digest. A request gives a few codes at most (a
resend after an SMTP failure needs a new one) and none after it expires.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from cakap_shared.db import aware, utcnow
from cakap_shared.logs import audit
from cakap_shared.problems import CakapError
from flask import current_app
from sqlalchemy import select

from ..extensions import db, events
from ..models import Account, AccountMail, AccountState, Person
from . import throttle
from .accounts import ACTIVATION, RESET, _issue_code, _who, ensure_account, find_account
from .login_names import name_tag

MAX_CODES_PER_MAIL = 5
# Only notification writes these mails; another service's token gets 403.
COLLECTOR = "service:notification"
PAGES = {ACTIVATION: "/aktivasi", RESET: "/lupa-sandi/atur"}


def _ttl(purpose: str) -> int:
    config = current_app.config
    return config["ACTIVATION_CODE_TTL"] if purpose == ACTIVATION else config["RESET_CODE_TTL"]


def request_mail(account: Account, purpose: str, actor: str | None) -> AccountMail:
    """Record the request and its event (caller commits); the person must have an e-mail."""
    person = account.person
    mail = AccountMail(
        account_id=account.id,
        purpose=purpose,
        created_by=actor,
        expires_at=utcnow() + timedelta(seconds=_ttl(purpose)),
        codes_issued=0,
    )
    db.session.add(mail)
    db.session.flush()
    events.publish(
        "account.mail_requested",
        {
            "mail_id": mail.id,
            "person_id": person.id,
            "purpose": purpose,
            "name": person.name,
            "email": person.email,
            "username": account.username,
        },
        aggregate_id=person.id,
    )
    return mail


def mail_activation(people: list[Person], actor: str) -> dict[str, Any]:
    """Queue an activation e-mail for each pending person with an address (commits).

    {"queued": [person ids], "without_email": [...], "not_pending": [...]}: the caller
    prints sheets for the ones without an address.
    """
    queued, without, not_pending = [], [], []
    for person in people:
        if person.account is not None and person.account.state != AccountState.PENDING:
            not_pending.append(person.id)
            continue
        if not person.email:
            without.append(person.id)
            continue
        try:
            with db.session.begin_nested():
                account = ensure_account(person)
        except CakapError:
            not_pending.append(person.id)  # login name taken: left for one-by-one handling
            continue
        request_mail(account, ACTIVATION, actor)
        queued.append(person.id)
    db.session.commit()
    audit("auth.activation_mailed", actor=actor, count=len(queued))
    return {"queued": queued, "without_email": without, "not_pending": not_pending}


def mail_person_activation(person: Person, actor: str) -> dict[str, Any]:
    """One person's activation e-mail; 409 when the account is active or no address is known."""
    if person.account is not None and person.account.is_active:
        raise CakapError(
            409,
            "This account is already active; reset its password instead.",
            code="account-active",
        )
    if not person.email:
        raise CakapError(
            409,
            "This person has no e-mail address; print the activation code instead.",
            errors={"email": ["missing"]},
            code="email-missing",
        )
    return mail_activation([person], actor)


def collect_code(mail_id: str, collector: str) -> dict[str, Any]:
    """A fresh code for a requested mail, for notification to put in it (commits).

    404 for an unknown request; 410 when it expired, gave its codes, or no longer fits the
    account (activated or locked since). An earlier code of the same purpose stops working.
    """
    if collector != COLLECTOR:
        raise CakapError(403, "Only notification collects account mail codes.")
    mail = db.session.scalar(select(AccountMail).where(AccountMail.id == mail_id).with_for_update())
    if mail is None:
        raise CakapError(404, "No such account mail.")
    account = db.session.get(Account, mail.account_id)
    fits = account.is_active if mail.purpose == RESET else account.state == AccountState.PENDING
    if aware(mail.expires_at) <= utcnow() or mail.codes_issued >= MAX_CODES_PER_MAIL or not fits:
        raise CakapError(410, "This account mail is no longer wanted.", code="mail-gone")
    mail.codes_issued += 1
    issued = _issue_code(account, mail.purpose, _ttl(mail.purpose), mail.created_by)
    db.session.commit()
    audit("auth.mail_code_collected", account_id=account.id, purpose=mail.purpose, mail_id=mail.id)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        **issued,
        "purpose": mail.purpose,
        "name": account.person.name,
        "link": f"{base}{PAGES[mail.purpose]}?{urlencode({'u': account.username})}",
    }


def request_reset(username: str, address: str) -> None:
    """Ask notification to mail a reset code when the account is active and has an address.

    The caller answers the same whatever happens here: nobody learns whether a NIP exists.
    Commits.
    """
    config = current_app.config
    username = username.strip()
    if not throttle.allow_request(f"reset-addr:{address}", config["RESET_MAX_PER_ADDRESS"]):
        raise CakapError(429, "Too many reset requests. Try again later.",
                         headers={"Retry-After": str(config["LOGIN_WINDOW_SECONDS"])})  # fmt: skip
    if not throttle.allow_request(f"reset-user:{name_tag(username)}", config["RESET_MAX_PER_USER"]):
        audit("auth.password_reset_throttled", login_tag=name_tag(username), address=address)
        return
    account = find_account(username)
    email = account.person.email if account is not None else None
    if account is None or not account.is_active or not email:
        audit(
            "auth.password_reset_requested", **_who(account, username), address=address, sent=False
        )
        return
    request_mail(account, RESET, None)
    db.session.commit()
    audit("auth.password_reset_requested", actor=account.person_id, address=address, sent=True)
