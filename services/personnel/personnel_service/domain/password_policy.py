"""The password rule, as NIST SP 800-63B puts it: length and a blocklist, no composition rules.

At least 8 characters (up to 256, every character allowed), not in the shipped list of common
and breached passwords (data/common-passwords.txt, see scripts/build_common_passwords.py),
and not the person's own NIP, login name or name.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 256
_LIST = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@functools.cache
def common_passwords() -> frozenset[str]:
    """The blocklist, lower case (loaded once per process)."""
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _fold(text: str) -> str:
    # NFKC so a full-width or composed variant of a listed password is caught too.
    return unicodedata.normalize("NFKC", text).casefold()


def password_problems(
    password: str, *, personal: tuple[str | None, ...] = ()
) -> list[tuple[str, str]]:
    """(rule, message) pairs saying why `password` is refused; empty when it is fine.

    Rules: too-short, too-long, common, personal. `personal`: NIP, login name, name.
    """
    length = len(unicodedata.normalize("NFKC", password))
    if length < MIN_LENGTH:
        return [("too-short", f"use at least {MIN_LENGTH} characters")]
    if length > MAX_LENGTH:
        return [("too-long", f"use at most {MAX_LENGTH} characters")]
    folded = _fold(password)
    if folded in common_passwords():
        return [("common", "this password is too common; choose another")]
    for value in personal:
        if not value:
            continue
        own = _fold(value)
        if folded in (own, own.replace(" ", "")) or (len(own) >= 8 and own in folded):
            return [("personal", "do not use your NIP, user name or name as password")]
    return []
