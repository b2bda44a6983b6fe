"""Who is signed in: a session id in the cookie, the session's record in Redis.

The record holds the user, the access token and the refresh token (both encrypted with a
key derived from SECRET_KEY) and three clock readings: when the session began, when it was
last used, and when the access token expires. An access token about to expire is replaced
through personnel's refresh endpoint, one refresh per session at a time, so a person who
keeps using the portal stays signed in until the absolute limit; a session idle for longer
than the idle limit ends.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import abort, current_app, g, redirect, request, session, url_for

from .gateway import ApiError, gateway
from .sessions import store

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("portal.auth")
# Refresh this long before the access token expires, so a slow page never carries a dead one.
REFRESH_MARGIN = 30
# The last-used reading is written at most this often (idle limit precision, fewer writes).
SEEN_WRITE_INTERVAL = 15
RESUME_KEY = "resume"


@dataclass(frozen=True)
class User:
    """The signed-in person as /api/v1/me described them at sign-in."""

    id: str
    username: str
    name: str
    roles: tuple[str, ...]
    must_change_password: bool = False

    def has(self, *roles: str) -> bool:
        """True when the user holds any of `roles`."""
        return any(r in self.roles for r in roles)


def now() -> float:
    """The portal's clock (tests replace app.extensions["portal_clock"])."""
    return current_app.extensions.get("portal_clock", time.time)()


def _fernet() -> Fernet:
    # Tokens are encrypted in the record: a dump of Redis hands out no bearer token.
    digest = hashlib.sha256(b"cakap-portal-token:" + str(current_app.secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _seal(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def _open(sealed: str | None) -> str | None:
    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def sign_in(issued: dict[str, Any], me: dict[str, Any]) -> None:
    """Start a fresh session (new id, nothing of the old one survives) for this token pair."""
    old = session.get("sid")
    resume = session.get(RESUME_KEY)
    if old:
        store().delete(old)
    session.clear()
    g.pop("portal_user", None)
    g.pop("portal_record", None)
    # flask-wtf caches this request's CSRF token in g: the new session needs its own.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    session.permanent = True
    sid = secrets.token_urlsafe(32)
    session["sid"] = sid
    # Not secret; outlives the session so a form kept at its end goes only to the same person.
    session["uid"] = str(me.get("id", ""))
    if resume:
        session[RESUME_KEY] = resume  # the form typed before the session ended
    moment = now()
    store().save(
        sid,
        {
            "uid": str(me.get("id", "")),
            "usr": str(me.get("username", "")),
            "name": str(me.get("name") or me.get("username") or ""),
            "roles": [str(r) for r in me.get("roles", [])],
            "pwd_change": bool(issued.get("password_change_required")),
            "tok": _seal(str(issued["access_token"])),
            "rt": _seal(str(issued.get("refresh_token") or "")),
            "exp": moment + int(issued.get("expires_in") or 900),
            "began": moment,
            "seen": moment,
        },
    )


def sign_out() -> None:
    """End the session here and in personnel (its refresh family), and forget the cookie."""
    sid = session.get("sid")
    record = store().load(sid) if sid else None
    if sid:
        store().delete(sid)
    refresh_token = _open(record.get("rt")) if record else None
    if refresh_token:
        try:
            gateway().post("/api/v1/auth/logout", json={"refresh_token": refresh_token})
        except ApiError as error:
            # The session is gone here already; the family ends at its limit anyway.
            log.warning("logout not confirmed by personnel: %s", error.status)
    session.clear()
    g.pop("portal_user", None)
    g.pop("portal_record", None)


def _end(sid: str) -> None:
    store().delete(sid)
    session.pop("sid", None)
    g.pop("portal_user", None)


def _record() -> dict[str, Any] | None:
    """This request's live session record (idle and absolute limits applied), or None."""
    if "portal_record" in g:
        return g.portal_record
    record = None
    sid = session.get("sid")
    if sid:
        record = store().load(sid)
        moment = now()
        config = current_app.config
        if record is not None and (
            moment - record["seen"] > config["PORTAL_SESSION_IDLE_SECONDS"]
            or moment - record["began"] > config["PORTAL_SESSION_MAX_SECONDS"]
        ):
            _end(sid)
            record = None
        elif record is None:
            session.pop("sid", None)
        elif moment - record["seen"] >= SEEN_WRITE_INTERVAL:
            record["seen"] = moment
            store().save(sid, record)
    g.portal_record = record
    return record


def _refreshed(sid: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """The record with a live access token: refreshed under the session's lock if needed."""
    with store().refresh_lock(sid):
        # Another request of this session may have refreshed while we waited.
        current = store().load(sid)
        if current is None:
            return None
        if current["exp"] - REFRESH_MARGIN > now():
            return current
        refresh_token = _open(current.get("rt"))
        if not refresh_token:
            _end(sid)
            return None
        try:
            issued = gateway().post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
        except ApiError as error:
            if error.status in (400, 401, 403, 422):
                _end(sid)  # revoked, reused, expired, or the account was deactivated
                return None
            raise
        current.update(
            tok=_seal(str(issued["access_token"])),
            rt=_seal(str(issued["refresh_token"])),
            exp=now() + int(issued.get("expires_in") or 900),
            pwd_change=bool(issued.get("password_change_required")),
        )
        store().save(sid, current)
        return current


def access_token() -> str | None:
    """The user's API token (refreshed when about to expire), or None when signed out."""
    record = _record()
    if record is None:
        return None
    if record["exp"] - REFRESH_MARGIN <= now():
        record = _refreshed(session["sid"], record)
        g.portal_record = record
        if record is None:
            g.portal_user = None
            return None
    return _open(record.get("tok"))


def current_user() -> User | None:
    """The signed-in user, or None (an ended session counts as signed out)."""
    if "portal_user" in g:
        return g.portal_user
    user = None
    record = _record()
    if record is not None:
        user = User(
            id=record.get("uid", ""),
            username=record.get("usr", ""),
            name=record.get("name", ""),
            roles=tuple(record.get("roles", [])),
            must_change_password=bool(record.get("pwd_change")),
        )
    g.portal_user = user
    return user


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after sign-in, or None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def ask_to_sign_in() -> Any:
    """Redirect to the sign-in page; a form post is kept and sent again after sign-in."""
    if request.method == "POST":
        key = secrets.token_urlsafe(16)
        fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
        store().stash_form(
            key,
            {"path": request.path, "fields": fields, "uid": session.get("uid")},
            current_app.config["PORTAL_SESSION_IDLE_SECONDS"],
        )
        session[RESUME_KEY] = key
        return redirect(url_for("auth.login", next=request.path), code=303)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def take_resumed_form(target: str | None) -> dict[str, Any] | None:
    """The form post kept for `target` when sign-in interrupted it (once), else None.

    Only for the person whose session it was: on a shared computer the next person who
    signs in must not send what someone else typed.
    """
    key = session.pop(RESUME_KEY, None)
    if not key:
        return None
    saved = store().take_form(key)
    if saved is None or saved.get("path") != target or saved.get("uid") != session.get("uid"):
        return None
    return saved


def _gate() -> Any:
    # The token first: a session whose refresh was refused (logout elsewhere, deactivated
    # account, reuse) ends here, before the page is built.
    user = current_user() if access_token() is not None else None
    if user is None:
        return ask_to_sign_in()
    if user.must_change_password and request.endpoint != "account.change_password":
        return redirect(url_for("account.change_password"))
    return None


def login_required(view: F) -> F:
    """Send anonymous visitors to the sign-in page, coming back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _gate() or view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Signed in and holding one of `roles`, else 403 (the API checks again anyway)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            answer = _gate()
            if answer is not None:
                return answer
            if not current_user().has(*roles):  # type: ignore[union-attr]
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def api_get(api_path: str, **kwargs: Any) -> Any:
    """GET through the gateway as the signed-in user."""
    return gateway().get(api_path, token=access_token(), **kwargs)


def api_post(api_path: str, **kwargs: Any) -> Any:
    """POST through the gateway as the signed-in user."""
    return gateway().post(api_path, token=access_token(), **kwargs)


def api_put(api_path: str, **kwargs: Any) -> Any:
    """PUT through the gateway as the signed-in user."""
    return gateway().put(api_path, token=access_token(), **kwargs)
