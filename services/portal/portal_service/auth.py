"""Who is signed in: the access token and the user, kept in the signed session cookie."""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import abort, current_app, g, redirect, request, session, url_for

from .gateway import gateway

F = TypeVar("F", bound=Callable[..., Any])
AUTH_KEYS = ("sid", "tok", "exp", "uid", "usr", "name", "roles")


@dataclass(frozen=True)
class User:
    """The signed-in person as /api/v1/me described them at sign-in."""

    id: str
    username: str
    name: str
    roles: tuple[str, ...]

    def has(self, *roles: str) -> bool:
        """True when the user holds any of `roles`."""
        return any(r in self.roles for r in roles)


def now() -> float:
    """The portal's clock (tests replace app.extensions["portal_clock"])."""
    return current_app.extensions.get("portal_clock", time.time)()


def _fernet() -> Fernet:
    # The cookie is signed, not encrypted: the token inside is encrypted too, so a leaked
    # cookie (a log, a proxy dump) does not hand out a bearer token for the API.
    digest = hashlib.sha256(b"cakap-portal-token:" + str(current_app.secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def sign_in(access_token: str, expires_in: int, me: dict[str, Any]) -> None:
    """Start a fresh session (nothing of the old one survives) for this token."""
    session.clear()
    g.pop("portal_user", None)
    session.permanent = True
    session["sid"] = secrets.token_urlsafe(16)
    session["tok"] = _fernet().encrypt(access_token.encode()).decode()
    session["exp"] = int(now()) + int(expires_in)
    session["uid"] = str(me.get("id", ""))
    session["usr"] = str(me.get("username", ""))
    session["name"] = str(me.get("name") or me.get("username") or "")
    session["roles"] = [str(r) for r in me.get("roles", [])]


def sign_out() -> None:
    """Forget everything about the user (the cookie is replaced by an empty one)."""
    session.clear()
    g.pop("portal_user", None)


def access_token() -> str | None:
    """The user's API token, or None when not signed in or expired."""
    sealed = session.get("tok")
    if not sealed or session.get("exp", 0) <= now():
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def current_user() -> User | None:
    """The signed-in user, or None (an expired session counts as signed out)."""
    if "portal_user" in g:
        return g.portal_user
    user = None
    if access_token() is not None:
        user = User(
            id=session.get("uid", ""),
            username=session.get("usr", ""),
            name=session.get("name", ""),
            roles=tuple(session.get("roles", [])),
        )
    elif "tok" in session:
        # Expired: drop the sign-in but keep the rest (the CSRF token of a form being shown).
        for key in AUTH_KEYS:
            session.pop(key, None)
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


def login_required(view: F) -> F:
    """Send anonymous visitors to the sign-in page, coming back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Signed in and holding one of `roles`, else 403 (the API checks again anyway)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not user.has(*roles):
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
