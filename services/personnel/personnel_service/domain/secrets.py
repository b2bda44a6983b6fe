"""One-time secrets: refresh tokens and human-typable codes, kept only as SHA-256 digests.

A plain digest is enough: the secrets are random (256 bits for a refresh token, 60 bits for a
code that also expires, is single use and is throttled), so there is nothing to guess from
a leaked digest in their lifetime.
"""

from __future__ import annotations

import hashlib
import secrets

# Crockford-like: no 0/O, 1/I/L confusion on a printed sheet.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def digest(secret: str) -> str:
    """Hex SHA-256 of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_refresh_token() -> str:
    """An opaque refresh token."""
    return "rt_" + secrets.token_urlsafe(32)


def new_code() -> str:
    """A code to type from paper: XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str:
    """What a person typed, as issued: upper case, without spaces, dashes re-grouped."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def new_temporary_password() -> str:
    """A password an admin hands over once (the holder must change it at sign-in)."""
    return "-".join(
        "".join(secrets.choice(CODE_ALPHABET.lower()) for _ in range(4)) for _ in range(3)
    )
