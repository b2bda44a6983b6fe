"""What the audit log and the sign-in throttle keep of a typed sign-in name: never the text.

People type their password into the name field. A name that matches an account is
logged as the account's id; any other text only as a short keyed hash: the same text
gives the same tag (repeated guesses still line up in the log and share a throttle
budget), and a reader of the log or of the database cannot test guesses against it
without the key, which is derived from personnel's signing key.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

from flask import current_app

KEY_PURPOSE = b"cakap-personnel login-name tags v1"


def name_tag(typed: str) -> str:
    """A 16-hex keyed hash of a typed name (case and outer spaces ignored)."""
    key = current_app.extensions["cakap_token_issuer"].derived_key(KEY_PURPOSE)
    digest = hmac.new(key, typed.strip().lower().encode("utf-8", "replace"), sha256)
    return digest.hexdigest()[:16]
