"""Ways to reach a person outside the portal. The inbox is not a channel: it is always written.

Adding WhatsApp or SMS later:
1. Write `channels/<name>.py` with a class that has `name` and `send(message)` as in
   `Channel` below; `send` raises `TemporaryFailure` when trying again later may help
   (gateway down, rate limited, 4xx-like answers) and `PermanentFailure` when it cannot
   (unknown number, refused for good). Nothing else: retries, backoff, quiet hours and
   idempotency are done by `domain/delivery.py` for every channel.
2. Give `Contact` the address it needs (e.g. a phone number from person.updated).
3. Register the channel in `channels_from_config()` and let `domain/preferences.py`
   accept it, so a person chooses it per kind like e-mail.
No fake channel ships: an unconfigured channel is simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """What a channel sends: one rendered text to one address."""

    message_id: str  # stable per delivery, so a receiver can drop a resend
    to_name: str
    to_address: str
    subject: str
    text: str


class TemporaryFailure(Exception):
    """Sending failed in a way worth retrying later."""


class PermanentFailure(Exception):
    """The receiving side refused for good (e.g. SMTP 5xx): recorded as a bounce."""


class Channel(Protocol):
    """A way to send a Message; see the module docstring for adding one."""

    name: str

    def send(self, message: Message) -> None:
        """Hand the message over, or raise TemporaryFailure / PermanentFailure."""
