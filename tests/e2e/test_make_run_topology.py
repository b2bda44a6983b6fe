"""`make run`'s topology: the Procfile's processes only, each web worker running its
service's background loop on a thread (DELIVER_EVENTS_IN_WEB_WORKER=1), and still every
event delivered."""

from __future__ import annotations

import pytest
import requests
from support.suite import Api, procfile

pytestmark = pytest.mark.processes


def test_the_procfile_has_no_delivery_process_beside_the_web_workers():
    assert not [name for name in procfile() if name.endswith("-events")]


def test_a_web_worker_delivers_its_outbox_when_make_run_asks(stack_factory, wait_for):
    stack = stack_factory({"DELIVER_EVENTS_IN_WEB_WORKER": "1"})
    stack.base_env["SERVICE_URLS"] = ",".join(
        f"{name}={stack.urls[name]}" for name in ("personnel", "catalog")
    )
    stack.start("personnel", "catalog")
    for name in ("personnel", "catalog"):
        stack.wait_ready(name, timeout=180)
    base = stack.urls["personnel"]
    bearer = {"Authorization": f"Bearer {Api(base).login('admin')}"}

    def outbox() -> dict:
        answer = requests.get(f"{base}/api/v1/outbox/personnel", headers=bearer, timeout=30)
        answer.raise_for_status()
        return answer.json()

    person = {"nip": "199001012015031001", "name": "Uji Topologi", "unit_code": "DISKOMINFO",
              "position": "Pranata Komputer", "grade": "III/a", "roles": ["asn"]}  # fmt: skip
    made = requests.post(f"{base}/api/v1/people", headers=bearer, json=person, timeout=30)
    assert made.status_code == 201, made.text
    # Its person.updated reaches catalog with no personnel-events process running.
    done = wait_for(lambda: (s := outbox())["delivered"] > 0 and s["pending"] == 0 and s, 120)
    assert done["dead"] == 0
    assert "delivery loop started" in stack.log("personnel")
    assert not [name for name in stack.processes if name.endswith("-events")]
