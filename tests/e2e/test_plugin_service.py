"""The plugin shape: the suite runs without notification; adding it (its processes and its
URL in SERVICE_URLS) serves its routes and delivers its subscriptions, gateway code unchanged."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from support.journeys import city_today

pytestmark = [pytest.mark.processes, pytest.mark.once]

ROOT = Path(__file__).resolve().parents[2]


def test_gateway_code_and_config_know_nothing_of_notification():
    tracked = subprocess.run(
        ["git", "ls-files", "gateway"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked
    for path in tracked:
        assert "notification" not in (ROOT / path).read_text(errors="replace").lower(), path


def open_class(gateway, admin, code: str) -> str:
    course = gateway.call(
        "POST",
        "/api/v1/courses",
        admin,
        json={
            "code": code,
            "title": f"Pelatihan {code}",
            "description": "uji",
            "jp": 2,
            "competencies": [],
            "module_ids": [],
        },
    )
    assert course.status_code == 201, course.text
    gateway.call("POST", f"/api/v1/courses/{course.json()['id']}/publish", admin)
    today = city_today()
    klass = gateway.call(
        "POST",
        f"/api/v1/courses/{course.json()['id']}/classes",
        admin,
        json={
            "name": "Angkatan Plugin",
            "starts_on": (today + timedelta(days=3)).isoformat(),
            "ends_on": (today + timedelta(days=4)).isoformat(),
            "capacity": 5,
        },
    )
    assert klass.status_code == 201, klass.text
    return klass.json()["id"]


def test_notification_is_added_by_its_manifest_alone(stack_factory, api_factory, wait_for):
    stack = stack_factory(without=("notification",))
    stack.start()
    stack.wait_ready()
    assert "notification" not in stack.processes and "notification-mail" not in stack.processes
    gateway = api_factory(stack.urls["gateway"])
    admin = gateway.login("admin")
    pegawai = gateway.login("pegawai")
    assert gateway.call("GET", "/api/v1/notifications", pegawai).status_code == 404
    before = open_class(gateway, admin, f"PLG-{stack.ports['gateway']}-A")
    asked = gateway.call("POST", "/api/v1/enrolments", pegawai, json={"class_id": before})
    assert asked.status_code == 201, asked.text  # the suite works without it

    # Add the service: its processes, and its URL in the deployment's SERVICE_URLS.
    stack.add("notification")
    stack.start("notification", "notification-events", "notification-mail")
    stack.wait_ready("notification")
    # Processes that read SERVICE_URLS at start pick up the new list on restart: the
    # gateway (routes by manifests), personnel (issues service tokens to known services)
    # and the producers' delivery loops (subscribers by manifests).
    readers = ["gateway", "personnel", *(p for p in stack.processes if p.endswith("-events"))]
    readers.remove("notification-events")
    stack.stop(*readers)
    stack.start(*readers)
    stack.wait_ready("personnel")
    stack.wait_ready()

    routes = wait_for(
        lambda: gateway.call("GET", "/api/v1/notifications", pegawai).status_code == 200,
        timeout=60,
    )
    assert routes
    docs = gateway.call("GET", "/api/openapi.json").json()
    assert "/api/v1/notification-preferences" in docs["paths"]

    code = f"PLG-{stack.ports['gateway']}-B"
    after = open_class(gateway, admin, code)
    asked = gateway.call("POST", "/api/v1/enrolments", pegawai, json={"class_id": after})
    assert asked.status_code == 201, asked.text
    approved = gateway.call("POST", f"/api/v1/enrolments/{asked.json()['id']}/approve", admin)
    assert approved.status_code == 200, approved.text
    atasan = gateway.login("atasan")

    def requested():
        items = gateway.call("GET", "/api/v1/notifications", atasan).json()["items"]
        return [i for i in items if code in i["body"]]

    assert len(wait_for(requested, timeout=60)) == 1

    def mails():
        found = []
        for path in (stack.var_dir / "mail").glob("*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if code in message.get_content():
                found.append(message)
        return found

    [mail] = wait_for(mails, timeout=60)  # pegawai's approval, by the dev mail server
    assert mail["Subject"] == "[Cakap] Pendaftaran pelatihan disetujui"
    assert mail.get_content().startswith("Yth. Nyimas Ayu Lestari,")
