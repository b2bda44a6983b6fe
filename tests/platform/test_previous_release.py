"""The previous release's code serves against this release's schema (docs/decisions/0009).

A rollout runs this release's migrations first (the Kubernetes migration Job), then replaces
the replicas one by one: for minutes the previous release's code serves against the new
schema, and a code rollback leaves it there for good. This test builds that moment: it
extracts the previous release (`release` in deploy/released-migrations.json) with
`git archive`, migrates empty databases with THIS tree's Alembic histories to head, then
starts the OLD tree's processes from its own Procfile (its boot scripts, gunicorn, its outbox
loops; `MIGRATE_ON_START=0`, as on Kubernetes, so the old code never touches the schema)
and walks the main calls through their APIs, events included. Old and new modules never
share an interpreter: each old process has the old tree's `shared/` first on its path.

It runs once per `make test` (marker `once`): in the PostgreSQL pass (production's database;
SQLite never serves a rollout), or in the SQLite pass when PostgreSQL is not reachable.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from alembic.config import Config
from alembic.script import ScriptDirectory
from cakap_shared.testing import mint_token
from conftest import REPO_ROOT
from sqlalchemy import create_engine, text
from support.journeys import nip
from support.suite import Stack, eventually

pytestmark = pytest.mark.processes

RELEASED = json.loads((REPO_ROOT / "deploy" / "released-migrations.json").read_text())
# What the old tree needs besides its code: its process table, settings and dev secrets.
EXTRACTED = ["Procfile", ".env.example", "scripts/ensure-dev-secrets.sh", "services", "shared"]
SCORM_PACKAGE = REPO_ROOT / "tests" / "elearning" / "data" / "kursus_scorm12"
PASSWORD = "sandi-rilis-lalu-panjang"


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, check=False)


@pytest.fixture(scope="module")
def old_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous release's tree, extracted from this clone's history."""
    commit = RELEASED["release"]
    if _git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        shallow = _git("rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
        if shallow:
            pytest.skip(f"shallow clone: release {commit} is not here (git fetch --unshallow)")
        pytest.fail(f"deploy/released-migrations.json names {commit}, not a commit of this clone")
    tree = tmp_path_factory.mktemp("previous-release")
    archive = _git("archive", "--format=tar", commit, *EXTRACTED)
    assert archive.returncode == 0, archive.stderr.decode()
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def new_head(service: str, root: Path = REPO_ROOT) -> str | None:
    config = Config()
    config.set_main_option("script_location", str(root / "services" / service / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def schema_version(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def migrate_with_this_release(stack: Stack) -> None:
    """Every database to this tree's heads, as the migration Job does (`boot.sh migrate`)."""
    secrets = REPO_ROOT / "scripts" / "ensure-dev-secrets.sh"
    subprocess.run([str(secrets)], check=True, env=stack.env_for("x"))
    running = {}
    for service in stack.databases:
        env = {**stack.env_for(service), "PYTHONPATH": str(REPO_ROOT / "shared")}
        running[service] = subprocess.Popen(
            [str(REPO_ROOT / "services" / service / "boot.sh"), "migrate"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    for service, process in running.items():
        output = process.communicate(timeout=120)[0].decode(errors="replace")
        assert process.returncode == 0, f"{service}: this release's migrations failed:\n{output}"
        assert schema_version(stack.databases[service]) == new_head(service)


@pytest.fixture
def old_stack(old_tree: Path, tmp_path: Path) -> Iterator[Stack]:
    """The previous release's domain services and outbox loops on this release's schema."""
    stack = Stack(
        tmp_path,
        overrides={"MIGRATE_ON_START": "0", "DEMO_MODE": "0"},
        # No portal (no database): every outbox waits for the manifest of each peer in
        # SERVICE_URLS, so it must not be listed. The gateway is not started (calls go
        # straight to each service) and is never listed.
        without=("portal",),
        root=old_tree,
    )
    try:
        migrate_with_this_release(stack)
        processes = [p for p in stack.commands if p.split("-")[0] in stack.databases]
        stack.start(*(p for p in processes if p != "notification-mail"))
        for service in stack.databases:
            stack.wait_ready(service, timeout=120)
        yield stack
    finally:
        stack.close()


class OldRelease:
    """Calls to the old processes, each straight to its service (no gateway in between).

    A refused call fails the test naming the service, the call and the answer, with the
    end of that service's log.
    """

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = requests.Session()
        self.admin = ""  # an admin's token, once one has signed in

    def outboxes(self) -> dict[str, Any]:
        """Each old outbox's and inbox's counts (`/internal/outbox/stats`)."""
        return {
            service: self.call(
                service, "read outbox stats", "GET", "/internal/outbox/stats", self.admin
            )
            for service in self.stack.databases
            if f"{service}-events" in self.stack.commands
        }

    def until(self, what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
        """`check`'s first truthy answer; else fail naming what never came, with the outboxes."""
        try:
            return eventually(check, timeout=timeout)
        except AssertionError:
            pass
        raise AssertionError(f"{what}: not within {timeout} s; outboxes: {self.outboxes()}")

    def call(
        self,
        service: str,
        what: str,
        method: str,
        path: str,
        token: str | None = None,
        expect: int = 200,
        **kwargs: Any,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = path if path.startswith("http") else f"{self.stack.urls[service]}{path}"
        answer = self.http.request(method, url, headers=headers, timeout=30, **kwargs)
        if answer.status_code != expect:
            raise AssertionError(
                f"previous release's {service}, {what}: {method} {path} answered "
                f"{answer.status_code} (expected {expect}): {answer.text[:1000]}\n"
                f"--- end of {service}'s log ---\n{self.stack.log(service)[-2000:]}"
            )
        is_json = answer.headers.get("Content-Type", "").startswith("application/json")
        return answer.json() if is_json else answer

    def post(self, service: str, what: str, path: str, token: str, **kwargs: Any) -> Any:
        """A POST that must create (201)."""
        return self.call(service, what, "POST", path, token, 201, **kwargs)

    def get(self, service: str, what: str, path: str, token: str | None = None) -> Any:
        return self.call(service, what, "GET", path, token)

    def sign_in(self, username: str) -> str:
        body = {"username": username, "password": PASSWORD}
        answer = self.call(
            "personnel", f"sign in as {username}", "POST", "/api/v1/auth/token", json=body
        )
        return str(answer["access_token"])

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def old(old_stack: Stack) -> Iterator[OldRelease]:
    calls = OldRelease(old_stack)
    yield calls
    calls.close()  # before the processes stop


def cast_of(tag: str, unit: str) -> dict[str, dict[str, Any]]:
    """Who the test creates: an admin, a trainer, a supervisor and their staff."""
    boss_nip = nip(date(1980, 3, 14), 11, female=False)
    asn = {"unit_code": unit}
    return {
        "admin": {"username": f"admin-{tag.lower()}", "name": "Admin Rilis", "roles": ["admin"]},
        "trainer": {"username": f"wi-{tag.lower()}", "name": "Widyaiswara", "roles": ["trainer"]},
        "boss": {
            **asn,
            "nip": boss_nip,
            "name": "Budi Atasan",
            "position": "Kepala Bidang",
            "grade": "IV/a",
            "roles": ["asn", "supervisor"],
        },
        "staff": {
            **asn,
            "nip": nip(date(1995, 7, 21), 12, female=True),
            "name": "Sari Pegawai",
            "position": "Pranata Komputer",
            "grade": "III/a",
            "supervisor_nip": boss_nip,
            "roles": ["asn"],
        },
    }


def people(old: OldRelease, stack: Stack) -> dict[str, Any]:
    """A unit and the cast, created, signed in (by user name or NIP) and read back."""
    # An empty database has no admin (no demo data here): the first calls carry a token
    # signed with personnel's development key under VAR_DIR/keys; every later one signs in.
    pem = (stack.var_dir / "keys" / "jwt-private.pem").read_text()
    root = mint_token(f"bootstrap-{uuid.uuid4().hex[:8]}", ["admin"], private_pem=pem)
    tag = uuid.uuid4().hex[:6].upper()
    unit = f"RL-{tag}"
    old.post(
        "personnel",
        "create a unit",
        "/api/v1/units",
        root,
        json={"code": unit, "name": f"Bidang Rilis {tag}"},
    )
    made, tokens = {}, {}
    for key, body in cast_of(tag, unit).items():
        made[key] = old.post(
            "personnel",
            f"create a person ({key})",
            "/api/v1/people",
            root,
            json={**body, "password": PASSWORD},
        )
        tokens[key] = old.sign_in(body.get("username") or body["nip"])
    old.admin = tokens["admin"]
    staff = made["staff"]
    read = old.get("personnel", "read a person", f"/api/v1/people/{staff['id']}", old.admin)
    assert (read["name"], read["nip"], read["unit_code"]) == ("Sari Pegawai", staff["nip"], unit)
    me = old.get("personnel", "read /me", "/api/v1/me", tokens["staff"])
    assert me["id"] == staff["id"], me
    return {"tokens": tokens, "staff_id": staff["id"], "unit": unit, "tag": tag}


def scorm_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(SCORM_PACKAGE.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(SCORM_PACKAGE).as_posix())
    return buffer.getvalue()


QUESTIONS = [
    {
        "type": "single",
        "text": "Kata sandi yang kuat?",
        "choices": ["123456", "Xy!9#kLp2"],
        "answer": 1,
    },
    {
        "type": "single",
        "text": "Phishing adalah?",
        "choices": ["Penipuan", "Olahraga"],
        "answer": 0,
    },
]


def content(old: OldRelease, cast: dict[str, Any]) -> dict[str, Any]:
    """A SCORM module (elearning), a post test (evaluation), a competency (catalog)."""
    admin, trainer, tag = cast["tokens"]["admin"], cast["tokens"]["trainer"], cast["tag"]
    module = old.post(
        "elearning",
        "upload a SCORM module",
        "/api/v1/modules",
        trainer,
        files={"file": ("kursus.zip", scorm_zip(), "application/zip")},
        data={"title": f"Modul Rilis {tag}"},
    )
    assert module["kind"] == "scorm12", module
    test = old.post(
        "evaluation",
        "create a post test",
        "/api/v1/assessments",
        trainer,
        json={
            "title": f"Post Test {tag}",
            "kind": "post_test",
            "passing_score": 70,
            "questions": QUESTIONS,
        },
    )
    competency = {"code": f"T-RL-{tag}", "name": "Keamanan Siber", "type": "teknis"}
    old.post("catalog", "create a competency", "/api/v1/competencies", admin, json=competency)
    return {"module": module, "test": test, "competency": competency}


def course(old: OldRelease, cast: dict[str, Any]) -> dict[str, Any]:
    """That content in a published course with a class; listed, found and read back."""
    made = content(old, cast)
    admin, staff, tag = cast["tokens"]["admin"], cast["tokens"]["staff"], cast["tag"]
    draft = old.post(
        "catalog",
        "create a course",
        "/api/v1/courses",
        admin,
        json={
            "code": f"RL-{tag}",
            "title": f"Keamanan Informasi Rilis {tag}",
            "description": "Rilis lalu pada skema baru",
            "jp": 6,
            "competencies": [{"code": made["competency"]["code"], "level": 2}],
            "module_ids": [made["module"]["id"]],
            "post_test_id": made["test"]["id"],
        },
    )
    published = old.call(
        "catalog", "publish the course", "POST", f"/api/v1/courses/{draft['id']}/publish", admin
    )
    assert published["status"] == "published", published
    today = date.today()
    klass = old.post(
        "catalog",
        "create a class",
        f"/api/v1/courses/{draft['id']}/classes",
        admin,
        json={
            "name": "Angkatan Rilis",
            "capacity": 10,
            "starts_on": (today + timedelta(days=7)).isoformat(),
            "ends_on": (today + timedelta(days=37)).isoformat(),
        },
    )
    listed = old.get("catalog", "list courses", "/api/v1/courses?per_page=100", staff)
    assert draft["id"] in [c["id"] for c in listed["items"]], listed
    found = old.get("catalog", "search courses", f"/api/v1/courses?q=rilis+{tag}", staff)
    assert [c["id"] for c in found["items"]] == [draft["id"]], found
    read = old.get("catalog", "read the course", f"/api/v1/courses/{draft['id']}", staff)
    assert read["jp"] == 6 and read["status"] == "published", read
    return {**made, "course": draft, "class": klass}


def enrol(old: OldRelease, cast: dict[str, Any], made: dict[str, Any]) -> str:
    """The staff member requests the class; the supervisor hears of it and approves."""
    staff, boss = cast["tokens"]["staff"], cast["tokens"]["boss"]
    enrolment = old.post(
        "catalog",
        "request a class",
        "/api/v1/enrolments",
        staff,
        json={"class_id": made["class"]["id"]},
    )
    assert enrolment["status"] == "requested", enrolment
    # enrolment.requested: catalog's outbox, notification's inbox, the supervisor's bell
    old.until(
        "enrolment.requested in the supervisor's notifications",
        lambda: any(
            n["kind"] == "enrolment_requested"
            for n in old.get("notification", "read the inbox", "/api/v1/notifications", boss)[
                "items"
            ]
        ),
    )
    approved = old.call(
        "catalog",
        "approve the request",
        "POST",
        f"/api/v1/enrolments/{enrolment['id']}/approve",
        boss,
    )
    assert approved["status"] == "enrolled", approved
    return str(enrolment["id"])


def learn(old: OldRelease, cast: dict[str, Any], made: dict[str, Any]) -> None:
    """The module launched and committed SCO by SCO, then the post test passed."""
    staff, trainer = cast["tokens"]["staff"], cast["tokens"]["trainer"]
    module_id = made["module"]["id"]
    attempt = old.post(
        "elearning", "start a module attempt", f"/api/v1/modules/{module_id}/attempts", staff
    )
    player = old.get("elearning", "open the player", attempt["launch_url"])
    assert "<iframe" in player.text
    module = old.get("elearning", "read the module", f"/api/v1/modules/{module_id}", trainer)
    for item in module["scos"]:
        sco = {
            "cmi.core.lesson_status": "completed",
            "cmi.core.score.raw": "90",
            "cmi.core.session_time": "0000:05:00",
        }
        old.call(
            "elearning",
            f"commit {item['identifier']}",
            "PUT",
            f"/api/v1/module-attempts/{attempt['id']}/cmi?sco={item['identifier']}",
            staff,
            json=sco if item["scorm_type"] == "sco" else {"progress.opened": "true"},
        )
    progress = old.get(
        "elearning", "read the attempt", f"/api/v1/module-attempts/{attempt['id']}", staff
    )
    assert progress["completion"] == "completed", progress
    started = old.post(
        "evaluation",
        "start the post test",
        f"/api/v1/assessments/{made['test']['id']}/attempts",
        staff,
    )
    answers = {
        str(q["id"]): q["choices"].index("Xy!9#kLp2" if "sandi" in q["text"] else "Penipuan")
        for q in started["questions"]
    }
    result = old.call(
        "evaluation",
        "submit the post test",
        "POST",
        f"/api/v1/assessment-attempts/{started['id']}/submit",
        staff,
        json={"answers": answers},
    )
    assert result["passed"] is True, result


def completion(old: OldRelease, cast: dict[str, Any], made: dict[str, Any], enrolment: str) -> None:
    """Events through every old outbox and inbox: completion, JP, certificate, impact."""
    staff, boss = cast["tokens"]["staff"], cast["tokens"]["boss"]

    get = old.get
    old.until(
        "enrolment.completed after the post test",
        lambda: (
            get("catalog", "read the enrolment", f"/api/v1/enrolments/{enrolment}", staff)["status"]
            == "completed"
        ),
    )
    year = date.today().year
    jp = old.until(
        "the course's JP in personnel",
        lambda: (
            (
                body := get(
                    "personnel",
                    "read the JP",
                    f"/api/v1/people/{cast['staff_id']}/jp?year={year}",
                    staff,
                )
            )["earned"]
            >= 6
            and body
        ),
    )
    assert [e["jp"] for e in jp["entries"]] == [6], jp
    certificates = old.until(
        "the certificate",
        lambda: get("evaluation", "list certificates", "/api/v1/certificates", staff)["items"],
    )
    code = certificates[0]["code"]
    verified = get(
        "evaluation", "verify the certificate", f"/api/v1/certificates/{code}/verification", ""
    )
    assert verified["valid"] is True and verified["jp"] == 6, verified
    due = old.until(
        "the supervisor's impact evaluation",
        lambda: get(
            "evaluation", "list impact evaluations", "/api/v1/impact-evaluations?status=due", boss
        )["items"],
    )
    assert due[0]["learner_id"] == cast["staff_id"], due
    assert due[0]["course_code"] == made["course"]["code"], due


def self_assessment(old: OldRelease, cast: dict[str, Any]) -> None:
    """A row in competency_assessments, which gained columns and a unique constraint."""
    staff, path = cast["tokens"]["staff"], f"/api/v1/people/{cast['staff_id']}"
    mine = {"code": "M-KOM", "level": 3, "source": "self"}
    old.call(
        "personnel",
        "record a self-assessment",
        "POST",
        f"{path}/competency-assessments",
        staff,
        201,
        json=mine,
    )
    profile = old.call("personnel", "read the competencies", "GET", f"{path}/competencies", staff)
    assert [{k: a[k] for k in mine} for a in profile["history"]] == [mine], profile


def planning(old: OldRelease, cast: dict[str, Any], made: dict[str, Any]) -> None:
    """Planning's own table (no events, no migration since the release)."""
    admin = cast["tokens"]["admin"]
    rule = {"course_code": made["course"]["code"], "title": "Wajib", "position_type": "pelaksana"}
    old.call(
        "planning",
        "add a mandatory training",
        "POST",
        "/api/v1/mandatory-trainings",
        admin,
        201,
        json=rule,
    )
    rules = old.call(
        "planning", "list mandatory trainings", "GET", "/api/v1/mandatory-trainings", admin
    )["items"]
    assert [r["course_code"] for r in rules] == [rule["course_code"]], rules


def drained(stats: dict[str, Any]) -> dict[str, Any]:
    """The stats when every outbox has delivered everything, nothing dead or parked."""
    busy = [s for s, v in stats.items() if v["pending"] or v["dead"] or v["inbox"]["parked"]]
    return {} if busy else stats


@pytest.mark.once
def test_previous_release_serves_on_this_schema(old_stack: Stack, old: OldRelease) -> None:
    cast = people(old, old_stack)
    made = course(old, cast)
    enrolment = enrol(old, cast, made)
    learn(old, cast, made)
    completion(old, cast, made, enrolment)
    self_assessment(old, cast)
    planning(old, cast, made)
    stats = old.until("every event delivered", lambda: drained(old.outboxes()))
    for service in ("personnel", "catalog", "evaluation", "notification"):
        assert stats[service]["inbox"]["handled"] > 0, (service, stats)
    for service in ("personnel", "catalog", "elearning", "evaluation"):
        assert stats[service]["delivered"] > 0, (service, stats)
    # The old code ran no migration: the schema is still this release's.
    for service, url in old_stack.databases.items():
        assert schema_version(url) == new_head(service), f"{service}'s schema version moved"


@pytest.mark.database_free
def test_the_released_heads_are_the_release_commits(old_tree: Path) -> None:
    """deploy/released-migrations.json's heads are those of its `release` commit."""
    heads = {
        service: new_head(service, old_tree)
        if (old_tree / "services" / service / "migrations").is_dir()
        else None
        for service in RELEASED["heads"]
    }
    assert heads == RELEASED["heads"], "run scripts/record_release.py <release commit>"


@pytest.mark.database_free
def test_the_old_processes_import_the_old_code(old_tree: Path) -> None:
    """The old tree's shared package wins over this checkout's editable install."""
    # The path Stack.env_for and then the old boot.sh give an old process.
    path = [old_tree / "services" / "personnel", old_tree / "shared", REPO_ROOT / "shared"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
    probe = "import cakap_shared, personnel_service as s; print(cakap_shared.__file__, s.__file__)"
    python = REPO_ROOT / ".venv" / "bin" / "python"
    found = subprocess.run([str(python), "-c", probe], env=env, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert all(Path(f).is_relative_to(old_tree) for f in found.stdout.split()), found.stdout
