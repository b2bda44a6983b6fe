"""Notification at scale: 10,000 events into inboxes, then e-mails to a real SMTP server.

A temporary SQLite database built by the service's migrations; 1,000 people known from
person.updated; 10,000 enrolment and survey events POSTed to /internal/events of the
Flask app (envelope check, inbox dedupe, handler, one commit each, as the producers'
delivery loops send them); then the inbox page latency, and the first 1,000 instant
e-mails sent by the delivery code to an in-process aiosmtpd server.
Prints one JSON line. Usage: .venv/bin/python bench/notification_inbox.py [--events N]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "services" / "notification"), str(ROOT / "shared")]

from aiosmtpd.controller import Controller  # noqa: E402
from cakap_shared.testing import (  # noqa: E402
    bearer,
    mint_token,
    service_test_config,
    upgrade_database,
)
from notification_service import create_app  # noqa: E402
from notification_service.channels.email import SmtpChannel  # noqa: E402
from notification_service.domain.delivery import send_due  # noqa: E402


class Sink:
    """Counts the messages it accepts."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.count += 1
        return "250 OK"


def envelope(event_type: str, data: dict, producer: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": "2026-11-30T01:00:00+00:00",
        "producer": producer,
        "aggregate_id": str(uuid.uuid4()),
        "data": data,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=1_000)
    parser.add_argument("--emails", type=int, default=1_000)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(service_test_config("notification", f"sqlite:///{tmp}/n.db"))
        upgrade_database(app)
        client = app.test_client()
        headers = {
            p: bearer(mint_token(f"service:{p}", ["service"], audience="notification"))
            for p in ("personnel", "catalog", "evaluation")
        }
        people = [str(uuid.uuid4()) for _ in range(args.people)]
        supervisors = people[: args.people // 10]
        for i, person in enumerate(people):
            data = {
                "person_id": person,
                "name": f"Pegawai {i}",
                "email": f"pegawai{i}@palembang.go.id",
                "unit_code": "DISKOMINFO",
                "supervisor_id": supervisors[i % len(supervisors)],
                "status": "active",
            }
            client.post(
                "/internal/events",
                json=envelope("person.updated", data, "personnel"),
                headers=headers["personnel"],
            )
        events = []
        for _ in range(args.events):
            learner = rng.choice(people)
            kind = rng.random()
            course = {"course_code": f"TIK-{rng.randint(100, 999)}", "course_title": "Pelatihan"}
            if kind < 0.4:
                data = {
                    "enrolment_id": str(uuid.uuid4()),
                    "learner_id": learner,
                    "supervisor_id": rng.choice(supervisors),
                    "status": "requested",
                    **course,
                }
                events.append(envelope("enrolment.requested", data, "catalog"))
            elif kind < 0.8:
                data = {
                    "enrolment_id": str(uuid.uuid4()),
                    "learner_id": learner,
                    "status": "enrolled",
                    **course,
                }
                events.append(envelope("enrolment.approved", data, "catalog"))
            else:
                data = {"survey_id": str(uuid.uuid4()), "learner_id": learner, **course}
                events.append(envelope("survey.due", data, "evaluation"))
        started = time.perf_counter()
        for event in events:
            answer = client.post("/internal/events", json=event, headers=headers[event["producer"]])
            assert answer.status_code == 200, answer.get_json()
        elapsed = time.perf_counter() - started
        replay = time.perf_counter()
        for event in events[:1000]:  # the same events again: acknowledged, nothing added
            assert (
                client.post(
                    "/internal/events", json=event, headers=headers[event["producer"]]
                ).get_json()["status"]
                == "duplicate"
            )
        replay_ms = (time.perf_counter() - replay) * 1000 / 1000
        latencies = []
        for person in rng.sample(supervisors, min(50, len(supervisors))):
            token = bearer(mint_token(person, ["asn", "supervisor"]))
            t0 = time.perf_counter()
            page = client.get("/api/v1/notifications?unread=true", headers=token)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert page.status_code == 200
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        channel = SmtpChannel("127.0.0.1", port, "Cakap <noreply@cakap.localhost>")
        t0 = time.perf_counter()
        sent = 0
        with app.app_context():
            while sent < args.emails:
                tried = send_due(channel, lambda _id: None, limit=min(100, args.emails - sent))
                if not tried:
                    break
                sent += tried
        mail_elapsed = time.perf_counter() - t0
        controller.stop()
        latencies.sort()
        figures = {
            "events": args.events,
            "people": args.people,
            "seconds": round(elapsed, 2),
            "events_per_second": round(args.events / elapsed, 1),
            "duplicate_ack_ms": round(replay_ms, 2),
            "inbox_unread_p50_ms": round(statistics.median(latencies), 2),
            "inbox_unread_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
            "emails_sent": sink.count,
            "emails_per_second": round(sink.count / mail_elapsed, 1) if mail_elapsed else None,
        }
        print("| figure | value |")
        print("| --- | --- |")
        print(f"| {args.events:,} events into inboxes | {elapsed:.1f} s, "
              f"{figures['events_per_second']}/s |")  # fmt: skip
        print(f"| duplicate event acknowledged | {figures['duplicate_ack_ms']} ms |")
        print(f"| unread inbox page (p50 / p95) | {figures['inbox_unread_p50_ms']} / "
              f"{figures['inbox_unread_p95_ms']} ms |")  # fmt: skip
        print(f"| e-mails to a local SMTP server | {sink.count}, "
              f"{figures['emails_per_second']}/s |")  # fmt: skip
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
