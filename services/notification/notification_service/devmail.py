"""Development mail server: keeps every message as one .eml file (refuses .invalid domains).

`make run` starts it (Procfile `notification-mail`) so a newcomer reads the suite's e-mails in
var/mail/. Not for production: the package aiosmtpd is a development requirement.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailDirHandler:
    """aiosmtpd handler writing each message to `directory` (atomically: temp file, rename)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        """Refuse addresses under .invalid (RFC 6761: never deliverable), as a real server
        would bounce them; a newcomer sees a bounce on the admin's Surel gagal page."""
        if address.rstrip(">").lower().endswith(".invalid"):
            return "550 5.1.2 Domain .invalid does not accept mail"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.directory / f".{name}.tmp"
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else content.encode()
        temporary.write_bytes(data)
        os.replace(temporary, self.directory / name)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="var/mail")
    args = parser.parse_args()
    directory = Path(args.dir).resolve()
    controller = Controller(MailDirHandler(directory), hostname=args.host, port=args.port)
    controller.start()
    print(f"dev mail server on {args.host}:{args.port}, messages in {directory}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
