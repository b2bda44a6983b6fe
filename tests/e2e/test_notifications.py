"""Notifications through real processes: inbox and SMTP once each, nothing lost while the
notification service is down, a 451 retried into one message."""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cakap_shared.testing import mint_token
from support.journeys import city_today

pytestmark = [pytest.mark.processes, pytest.mark.once]

ATASAN_NIP = "198203142008031001"
ROOT = Path(__file__).resolve().parents[2]


class MailServer:
    """A real SMTP server in the test process; `answers` refuses the next messages."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.messages: list[Any] = []
        self.answers: list[str] = []
        self.refused = 0
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answers:
            self.refused += 1
            return self.answers.pop(0)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        return [m for m in list(self.messages) if address in str(m["To"])]


def nip_for(serial: int) -> str:
    return f"19910203201604{2}{serial:03d}"


class Suite:
    """The running stack seen through the gateway, as an admin, atasan and minted learners."""

    def __init__(self, stack, api_factory) -> None:
        self.stack = stack
        self.gateway = api_factory(stack.urls["gateway"])
        self.catalog = api_factory(stack.urls["catalog"])
        self.admin = self.gateway.login("admin")
        self.private_pem = (stack.var_dir / "keys" / "jwt-private.pem").read_text()
        people = self.gateway.call("GET", f"/api/v1/people?q={ATASAN_NIP}", self.admin).json()[
            "items"
        ]
        self.atasan = next(p for p in people if p.get("nip") == ATASAN_NIP)
        self.unit = f"NTF-{stack.ports['gateway']}"
        created = self.gateway.call(
            "POST", "/api/v1/units", self.admin, json={"code": self.unit, "name": "Uji Notifikasi"}
        )
        assert created.status_code == 201, created.text

    def klass(self, code: str, capacity: int = 20) -> str:
        course = self.gateway.call(
            "POST",
            "/api/v1/courses",
            self.admin,
            json={
                "code": code,
                "title": f"Pelatihan {code}",
                "description": "uji",
                "jp": 4,
                "competencies": [],
                "module_ids": [],
            },
        )
        assert course.status_code == 201, course.text
        course_id = course.json()["id"]
        self.gateway.call("POST", f"/api/v1/courses/{course_id}/publish", self.admin)
        today = city_today()
        klass = self.gateway.call(
            "POST",
            f"/api/v1/courses/{course_id}/classes",
            self.admin,
            json={
                "name": "Angkatan Uji",
                "starts_on": (today + timedelta(days=3)).isoformat(),
                "ends_on": (today + timedelta(days=8)).isoformat(),
                "capacity": capacity,
            },
        )
        assert klass.status_code == 201, klass.text
        return klass.json()["id"]

    def import_learners(self, count: int) -> dict[str, dict[str, str]]:
        """Learners under atasan, each with an e-mail address; {id: {name, email}}."""
        rows = ["nip,name,unit_code,position,grade,supervisor_nip,email"]
        wanted = {}
        for i in range(1, count + 1):
            nip = nip_for(i)
            wanted[nip] = f"peserta{i}.{self.unit.lower()}@palembang.go.id"
            rows.append(
                f"{nip},Peserta Notifikasi {i},{self.unit},Analis,III/a,{ATASAN_NIP},{wanted[nip]}"
            )
        imported = self.gateway.call(
            "POST",
            "/api/v1/people/import",
            self.admin,
            files={"file": ("pegawai.csv", "\n".join(rows).encode(), "text/csv")},
        )
        assert imported.status_code == 200 and imported.json()["created"] == count, imported.text
        found = self.gateway.call(
            "GET", f"/api/v1/people?unit_code={self.unit}&per_page=100", self.admin
        ).json()["items"]
        learners = {
            p["id"]: {"name": p["name"], "email": wanted[p["nip"]]}
            for p in found
            if p.get("nip") in wanted
        }
        assert len(learners) == count
        return learners

    def token_for(self, person_id: str, name: str) -> str:
        return mint_token(
            person_id,
            ["asn"],
            private_pem=self.private_pem,
            name=name,
            unit_code=self.unit,
            supervisor_id=self.atasan["id"],
        )

    def request_and_approve(self, person_id: str, name: str, class_id: str) -> None:
        token = self.token_for(person_id, name)
        made = self.catalog.call("POST", "/api/v1/enrolments", token, json={"class_id": class_id})
        assert made.status_code == 201, made.text
        approved = self.catalog.call(
            "POST", f"/api/v1/enrolments/{made.json()['id']}/approve", self.admin
        )
        assert approved.status_code == 200 and approved.json()["status"] == "enrolled"

    def inbox(self, token: str) -> list[dict[str, Any]]:
        answer = self.gateway.call("GET", "/api/v1/notifications?per_page=100", token)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    def send_digests(self) -> None:
        """What cron runs daily (DIGEST_HOUR), now: `flask send-digests`."""
        env = self.stack.env_for("notification")
        env["PYTHONPATH"] = str(ROOT / "services" / "notification")
        subprocess.run(
            ["flask", "--app", "notification_service", "send-digests"],
            env=env,
            check=True,
            capture_output=True,
        )


def test_notices_reach_each_person_once_through_real_processes(
    stack_factory, api_factory, wait_for
):
    mail = MailServer()
    mail.controller.start()
    try:
        stack = stack_factory(overrides={"SMTP_PORT": str(mail.port)})
        stack.start(*[p for p in stack.commands if p != "notification-mail"])
        stack.wait_ready()
        stack.wait_ready("notification")
        suite = Suite(stack, api_factory)
        atasan_email = suite.gateway.call(
            "GET", f"/api/v1/people/{suite.atasan['id']}", suite.admin
        ).json()["email"]
        assert atasan_email

        # 1. pegawai asks for a class: atasan's inbox has it once; the digest mail has it once.
        code = f"NTF-{stack.ports['gateway']}"
        class_id = suite.klass(code)
        pegawai = suite.gateway.login("pegawai")
        asked = suite.gateway.call(
            "POST", "/api/v1/enrolments", pegawai, json={"class_id": class_id}
        )
        assert asked.status_code == 201, asked.text
        atasan = suite.gateway.login("atasan")

        def atasan_items():
            return [i for i in suite.inbox(atasan) if code in i["body"]]

        [item] = wait_for(atasan_items, timeout=60)
        assert item["kind"] == "enrolment_requested" and item["link"] == "/persetujuan"
        assert "Nyimas" not in item["body"]
        suite.send_digests()
        suite.send_digests()  # a second run sends nothing more
        digests = [m for m in mail.to(atasan_email) if code in m.get_content()]
        assert len(digests) == 1
        assert digests[0].get_content().startswith("Yth. Rizal Effendi,")
        assert len(atasan_items()) == 1

        # 2. Notification down for ten approvals: ten messages when it is back, none twice.
        learners = suite.import_learners(11)
        ten = dict(list(learners.items())[:10])
        stack.stop("notification", "notification-events")
        busy = suite.klass(f"{code}-B")
        for person_id, person in ten.items():
            suite.request_and_approve(person_id, person["name"], busy)
        catalog = api_factory(stack.urls["catalog"])
        wait_for(
            lambda: catalog.call("GET", "/internal/outbox/stats", suite.admin).json()["failing"],
            timeout=30,
        )
        assert all(not mail.to(p["email"]) for p in ten.values())
        stack.start("notification", "notification-events")
        stack.wait_ready("notification")
        wait_for(lambda: all(mail.to(p["email"]) for p in ten.values()), timeout=90)
        time.sleep(3)  # anything sent twice would arrive by now
        assert {p["email"]: len(mail.to(p["email"])) for p in ten.values()} == {
            p["email"]: 1 for p in ten.values()
        }
        first_id, first = next(iter(ten.items()))
        [approved] = [
            i
            for i in suite.inbox(suite.token_for(first_id, first["name"]))
            if i["kind"] == "enrolment_approved"
        ]
        assert f"{code}-B" in approved["body"]
        assert mail.to(first["email"])[0].get_content().startswith(f"Yth. {first['name']},")

        # 3. The mail server answers 451 once, then accepts: one message.
        last_id, last = list(learners.items())[10]
        mail.answers.append("451 4.3.2 try again later")
        suite.request_and_approve(last_id, last["name"], busy)
        wait_for(lambda: mail.to(last["email"]), timeout=60)
        time.sleep(3)
        assert len(mail.to(last["email"])) == 1 and mail.refused == 1
        sent = suite.gateway.call(
            "GET", "/api/v1/notification-deliveries?status=sent&per_page=100", suite.admin
        ).json()["items"]
        assert [d["attempts"] for d in sent if d["person_id"] == last_id] == [2]
    finally:
        mail.controller.stop()
