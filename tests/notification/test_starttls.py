"""STARTTLS against a real aiosmtpd server with a certificate made here: the channel
encrypts (and logs in only then) when configured, and never falls back to plaintext."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from notification_service.channels import Message, TemporaryFailure
from notification_service.channels.email import SmtpChannel
from notification_service.domain.delivery import send_due
from notification_service.worker import email_channel


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key; (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cakap-uji-smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Recorder:
    """Keeps each message with whether its session was encrypted; logs in cakap/rahasia."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, bool]] = []
        self.logins: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.content, session.ssl is not None))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any):
        self.logins.append(session.ssl is not None)
        return AuthResult(success=auth.login == b"cakap" and auth.password == b"rahasia")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An SMTP server that offers STARTTLS and refuses mail (530) until it is used."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder = Recorder()
    port = free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=recorder.authenticate,
    )
    controller.start()
    yield type("TlsServer", (), {"port": port, "cert": str(cert), "recorder": recorder})
    controller.stop()


@pytest.fixture
def recorder(tls_server: Any) -> Recorder:
    tls_server.recorder.received.clear()
    tls_server.recorder.logins.clear()
    return tls_server.recorder


def message(n: int) -> Message:
    return Message(f"tls-{n}", "Rizal Effendi", "rizal@palembang.go.id", "Uji TLS", "Isi")


def test_starttls_encrypts_and_logs_in_only_inside_tls(tls_server, recorder):
    channel = SmtpChannel(
        "127.0.0.1",
        tls_server.port,
        "Cakap <noreply@cakap.localhost>",
        starttls=True,
        username="cakap",
        password="rahasia",
        ca_file=tls_server.cert,
        timeout=5,
    )
    channel.send(message(1))
    [(content, encrypted)] = recorder.received
    assert encrypted and b"Subject: Uji TLS" in content
    assert recorder.logins == [True]


def test_plaintext_to_a_tls_only_server_is_refused_and_retried(tls_server, recorder):
    channel = SmtpChannel("127.0.0.1", tls_server.port, "noreply@cakap.localhost", timeout=5)
    with pytest.raises(TemporaryFailure, match="530"):  # our setup, not a bounce
        channel.send(message(2))
    assert recorder.received == []


def test_an_untrusted_certificate_stops_the_mail(tls_server, recorder):
    channel = SmtpChannel(
        "127.0.0.1", tls_server.port, "noreply@cakap.localhost", starttls=True, timeout=5
    )  # the system's CAs do not know this certificate
    with pytest.raises(TemporaryFailure, match=r"(?i)certificate"):
        channel.send(message(3))
    assert recorder.received == []


def test_tls_required_but_not_offered_sends_nothing(smtp):
    # the session's plain server (conftest) offers no STARTTLS
    channel = SmtpChannel(
        "127.0.0.1", smtp.port, "noreply@cakap.localhost", starttls=True, timeout=5
    )
    with pytest.raises(TemporaryFailure, match="offers no STARTTLS"):
        channel.send(message(4))
    assert smtp.messages == []


def test_configured_worker_channel_delivers_over_tls(
    app, client, kit, people, tls_server, recorder
):
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_CA_FILE")}
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=tls_server.port,
        SMTP_STARTTLS=True,
        SMTP_CA_FILE=tls_server.cert,
    )
    try:
        channel = email_channel(app)
        with app.app_context():
            assert send_due(channel, lambda _id: None) == 1
    finally:
        app.config.update(saved)
    [(content, encrypted)] = recorder.received
    assert encrypted and b"nyimas@palembang.go.id" in content
