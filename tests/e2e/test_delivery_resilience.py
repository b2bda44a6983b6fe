"""Nothing lost, nothing twice: completions while a consumer is down, killed, or flapping."""

from __future__ import annotations

import collections
import signal
import threading
import time
from datetime import timedelta

import pytest
from cakap_shared.testing import mint_token
from support.journeys import city_today

pytestmark = [pytest.mark.processes, pytest.mark.once]


def nip_for(serial: int) -> str:
    """A valid NIP: born 1990-05-17, appointed 2015-03, male, serial."""
    return f"19900517201503{1}{serial:03d}"


class Scenario:
    """Sets up a classroom course with N approved learners, through the real services."""

    def __init__(self, stack, api_factory, size: int) -> None:
        self.stack = stack
        self.gateway = api_factory(stack.urls["gateway"])
        self.catalog = api_factory(stack.urls["catalog"])
        self.admin = self.gateway.login("admin")
        self.private_pem = (stack.var_dir / "keys" / "jwt-private.pem").read_text()
        self.code = f"KLS-{stack.ports['gateway']}"
        unit = f"RES-{stack.ports['gateway']}"
        created = self.gateway.call(
            "POST", "/api/v1/units", self.admin, json={"code": unit, "name": "Uji Ketahanan"}
        )
        assert created.status_code == 201, created.text
        rows = ["nip,name,unit_code,position,grade,supervisor_nip"]
        rows += [f"{nip_for(i)},Peserta {i},{unit},Analis,III/a," for i in range(1, size + 1)]
        imported = self.gateway.call(
            "POST",
            "/api/v1/people/import",
            self.admin,
            files={"file": ("pegawai.csv", "\n".join(rows).encode(), "text/csv")},
        )
        assert imported.status_code == 200 and imported.json()["created"] == size, imported.text
        wanted = {nip_for(i) for i in range(1, size + 1)}
        self.learners: dict[str, str] = {}
        page = 1
        while len(self.learners) < size:
            listing = self.gateway.call(
                "GET", f"/api/v1/people?page={page}&per_page=100", self.admin
            ).json()
            self.learners.update(
                {p["id"]: p["name"] for p in listing["items"] if p.get("nip") in wanted}
            )
            if page * 100 >= listing["total"]:
                break
            page += 1
        assert len(self.learners) == size
        course = self.gateway.call(
            "POST",
            "/api/v1/courses",
            self.admin,
            json={
                "code": self.code,
                "title": "Pelatihan Klasikal Uji",
                "description": "uji",
                "jp": 4,
                "competencies": [],
                "module_ids": [],
                "min_attendance_percent": None,
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
                "capacity": size,
            },
        )
        assert klass.status_code == 201, klass.text
        self.enrolments: dict[str, str] = {}
        for learner_id, name in self.learners.items():
            token = mint_token(
                learner_id,
                ["asn"],
                private_pem=self.private_pem,
                name=name,
                unit_code=unit,
                supervisor_id=None,
            )
            response = self.catalog.call(
                "POST", "/api/v1/enrolments", token, json={"class_id": klass.json()["id"]}
            )
            assert response.status_code == 201, response.text
            enrolment_id = response.json()["id"]
            approved = self.catalog.call(
                "POST", f"/api/v1/enrolments/{enrolment_id}/approve", self.admin
            )
            assert approved.json()["status"] == "enrolled", approved.text
            self.enrolments[learner_id] = enrolment_id

    def complete(self, learner_id: str) -> None:
        response = self.catalog.call(
            "POST", f"/api/v1/enrolments/{self.enrolments[learner_id]}/complete", self.admin
        )
        assert response.status_code == 200 and response.json()["status"] == "completed", (
            response.text
        )

    def jp_entries(self, learner_id: str) -> int:
        body = self.gateway.call(
            "GET", f"/api/v1/people/{learner_id}/jp?year={city_today().year}", self.admin
        ).json()
        return sum(1 for entry in body["entries"] if entry["course_code"] == self.code)

    def certificates_by_learner(self) -> collections.Counter:
        counts: collections.Counter = collections.Counter()
        page = 1
        while True:
            body = self.gateway.call(
                "GET", f"/api/v1/certificates?page={page}&per_page=100", self.admin
            ).json()
            for item in body["items"]:
                if item["course_code"] == self.code:
                    counts[item.get("learner_id")] += 1
            if page * 100 >= body["total"]:
                return counts
            page += 1

    def catalog_stats(self) -> dict:
        return self.catalog.call("GET", "/internal/outbox/stats", self.admin).json()


def test_completion_while_personnel_is_down_arrives_once_when_it_is_back(
    stack, api_factory, wait_for
):
    stack.start()
    stack.wait_ready()
    scenario = Scenario(stack, api_factory, size=2)
    learner = next(iter(scenario.learners))
    stack.stop("personnel")
    scenario.complete(learner)
    failing = wait_for(lambda: scenario.catalog_stats()["failing"] >= 1, timeout=30)
    assert failing
    stack.start("personnel")
    stack.wait_ready("personnel")
    wait_for(lambda: scenario.jp_entries(learner) >= 1, timeout=60)
    wait_for(lambda: scenario.catalog_stats()["pending"] == 0, timeout=60)
    assert scenario.jp_entries(learner) == 1
    print(f"\n[resilience-1] catalog outbox after recovery: {scenario.catalog_stats()}")


def test_a_consumer_killed_mid_handling_leaves_each_effect_exactly_once(
    stack, api_factory, wait_for
):
    stack.start()
    stack.wait_ready()
    scenario = Scenario(stack, api_factory, size=30)
    for learner in scenario.learners:
        scenario.complete(learner)
    # kill personnel (gunicorn and its workers, no chance to clean up) while it is handling them
    wait_for(
        lambda: any(scenario.jp_entries(x) for x in list(scenario.learners)[:3]),
        timeout=60,
        interval=0.05,
    )
    stack.stop("personnel", sig=signal.SIGKILL)
    stack.start("personnel")
    stack.wait_ready("personnel")
    wait_for(lambda: scenario.catalog_stats()["pending"] == 0, timeout=120)
    counts = {learner: scenario.jp_entries(learner) for learner in scenario.learners}
    assert set(counts.values()) == {1}, counts
    print(f"\n[resilience-2] 30 learners, one JP entry each; outbox: {scenario.catalog_stats()}")


def test_100_completions_while_a_subscriber_flaps(stack, api_factory, wait_for):
    stack.start()
    stack.wait_ready()
    # 100 keep evaluation stopped and started several times mid-stream (`make scale-test`
    # pushes 500 through instance kills); each pass of `make test` runs this once.
    scenario = Scenario(stack, api_factory, size=100)
    stop_flapping = threading.Event()
    flaps = {"n": 0}

    def flap() -> None:
        while not stop_flapping.is_set():
            stack.stop("evaluation")
            flaps["n"] += 1
            stop_flapping.wait(2)
            stack.start("evaluation")
            stop_flapping.wait(3)

    flapper = threading.Thread(target=flap, daemon=True)
    started = time.monotonic()
    flapper.start()
    try:
        for learner in scenario.learners:
            scenario.complete(learner)
        time.sleep(4)
    finally:
        stop_flapping.set()
        flapper.join(timeout=30)
    if "evaluation" not in stack.processes:
        stack.start("evaluation")
    stack.wait_ready("evaluation")
    wait_for(lambda: scenario.catalog_stats()["pending"] == 0, timeout=300, interval=1)
    elapsed = time.monotonic() - started
    jp = {learner: scenario.jp_entries(learner) for learner in scenario.learners}
    certificates = scenario.certificates_by_learner()
    assert flaps["n"] >= 1  # the completions really met a subscriber gone
    assert set(jp.values()) == {1}
    assert sum(certificates.values()) == len(scenario.learners) == 100
    assert set(certificates.values()) == {1}
    stats = scenario.catalog_stats()
    print(
        f"\n[resilience-3] 100 completions, evaluation stopped {flaps['n']} times, delivered in "
        f"{elapsed:.1f}s; catalog outbox: {stats}"
    )
