"""The `make run` mail server keeps every message as one .eml file in var/mail/."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from notification_service.channels import Message, PermanentFailure
from notification_service.channels.email import SmtpChannel

ROOT = Path(__file__).resolve().parents[2]


def test_dev_mail_server_writes_one_eml_per_message(tmp_path, kit):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "VAR_DIR": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    server = subprocess.Popen(
        [str(ROOT / "services/notification/dev-mail-server.sh")],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        channel = SmtpChannel("127.0.0.1", port, "Cakap <noreply@cakap.localhost>", timeout=5)
        deadline = time.monotonic() + 20
        while True:
            try:
                channel.send(Message("d-1", "Rizal Effendi", "rizal@x.go.id", "Satu", "Isi satu"))
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        channel.send(Message("d-2", "Rizal Effendi", "rizal@x.go.id", "Dua", "Isi dua"))
        files = sorted((tmp_path / "mail").glob("*.eml"))
        assert len(files) == 2
        subjects = {
            message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"] for f in files
        }
        assert subjects == {"Satu", "Dua"}
        assert not list((tmp_path / "mail").glob(".*.tmp"))
        # a domain that can never exist is refused for good, as a real server would
        with pytest.raises(PermanentFailure, match="550"):
            channel.send(Message("d-3", "Tak Ada", "siapa@tidak-ada.invalid", "Tiga", "Isi"))
        assert len(list((tmp_path / "mail").glob("*.eml"))) == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
