"""Language: Bahasa Indonesia first, English second; chosen by ?lang= or the `lang` cookie."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote, urlencode

from flask import Flask, Response, current_app, request
from flask_babel import Babel, format_date, format_datetime

LANG_COOKIE = "lang"
babel = Babel()


def select_locale() -> str:
    """?lang= wins, then the cookie, then Indonesian."""
    languages = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate is not None and candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _remember_choice(response: Response) -> Response:
    """Keep an explicit ?lang= choice in a cookie for the next pages."""
    chosen = request.args.get("lang")
    if (
        chosen is not None
        and chosen in current_app.config["LANGUAGES"]
        and chosen != request.cookies.get(LANG_COOKIE)
    ):
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def language_url(code: str) -> str:
    """This page in another language, as a link that can only stay on this site.

    Built from request.path, which an attacker chooses: `/%5Cevil.example` arrives as
    `/\\evil.example` and `/%2F%2Fevil.example` as `//evil.example`, both of which a
    browser resolves to another host. Backslashes become slashes, leading slashes
    collapse to one, and everything but path characters is percent-encoded (tabs and
    newlines, which browsers drop, included).
    """
    path = "/" + request.path.replace("\\", "/").lstrip("/")
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    query.append(("lang", code))
    return quote(path, safe="/-._~!$&'()*+,;=:@") + "?" + urlencode(query)


def display_date(value: object) -> str:
    """An ISO date or datetime from the API in the reader's language; other values as given."""
    if value in (None, ""):
        return "—"
    text = str(value)
    try:
        if len(text) <= 10:
            return format_date(date.fromisoformat(text), "long")
        return format_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")), "medium")
    except ValueError:
        return text


def display_day(value: object) -> str:
    """Only the day of an API date or datetime, in the reader's language and time zone."""
    if value in (None, ""):
        return "—"
    text = str(value)
    try:
        if len(text) <= 10:
            return format_date(date.fromisoformat(text), "long")
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        # format_date rebases a datetime to the reader's time zone (naive means UTC).
        return format_date(moment, "long")
    except ValueError:
        return text


# Indonesia's three time zones by the names people use; others show their UTC offset.
_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def display_time(value: object) -> str:
    """The time of day of an API datetime in the reader's time zone, with the zone: 14.05 WIB."""
    if value in (None, ""):
        return "—"
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return f"{format_datetime(moment, 'HH.mm')} {zone_name() or format_datetime(moment, 'xxx')}"


def zone_name() -> str:
    """The configured time zone as people name it (WIB, WITA, WIT); empty when it has none."""
    return _ZONE_NAMES.get(current_app.config["BABEL_DEFAULT_TIMEZONE"], "")


def init_i18n(app: Flask) -> None:
    """Babel with our locale selector, the cookie, and the date filter for templates."""
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    app.after_request(_remember_choice)
    app.add_template_filter(display_date, "tanggal")
    app.add_template_filter(display_day, "hari")
    app.add_template_filter(display_time, "jam")
    app.add_template_global(language_url)
