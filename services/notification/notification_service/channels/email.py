"""E-mail over SMTP with the standard library: optional STARTTLS (then required) and login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from . import Message, PermanentFailure, TemporaryFailure


class SmtpChannel:
    """Sends one message per SMTP session (a delivery process sends few per second)."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ca_file: str | None = None,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout
        self.ca_file = ca_file  # a private CA for the server's certificate; None: the system's

    def build(self, message: Message) -> EmailMessage:
        """The MIME message; Message-ID derives from the delivery so resends look the same."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = formataddr((message.to_name, message.to_address))
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain="cakap")
        mail["Content-Language"] = "id, en"
        mail.set_content(message.text)
        return mail

    def send(self, message: Message) -> None:
        """Deliver to the SMTP server; 4xx or no answer is temporary, 5xx permanent."""
        try:
            mail = self.build(message)
        except ValueError as exc:  # e.g. a line break in a header: no retry can help
            raise PermanentFailure(f"message not sendable: {exc}") from None
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    # Required means required: never fall back to plaintext. The certificate
                    # and host name are verified; a failure is an OSError, retried later.
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        raise TemporaryFailure("TLS required: the server offers no STARTTLS")
                    smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file))
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            # Our credentials, not this message: keep it and retry once they are fixed.
            raise TemporaryFailure(f"login refused: {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _by_code(code, text) from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"{exc.__class__.__name__}: {exc}") from None
        if refused:  # only with several recipients; we send to one
            code, text = next(iter(refused.values()))
            raise _by_code(code, text)


def _by_code(code: int, text: bytes | str) -> Exception:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    error = f"{code} {detail}"
    if code == 530:  # "must issue STARTTLS / authenticate first": our setup, not the address
        return TemporaryFailure(error)
    return PermanentFailure(error) if 500 <= code < 600 else TemporaryFailure(error)
