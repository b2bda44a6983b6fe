"""Elearning test fixtures: an app on a throw-away migrated database, clients, tokens."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cakap_shared.http import ServiceUnavailable
from cakap_shared.testing import Cast, FakeClock, Persona, empty_tables, migrated_app
from elearning_service import create_app
from elearning_service.extensions import db
from flask import Flask
from flask.testing import FlaskClient

DATA = Path(__file__).parent / "data"
TRAINER = "11111111-1111-4111-8111-111111111111"
LEARNER = "22222222-2222-4222-8222-222222222222"
OTHER = "33333333-3333-4333-8333-333333333333"
ADMIN = "44444444-4444-4444-8444-444444444444"


class FakeCatalog:
    """Stands in for catalog: who may take which module, classes, courses, rosters, or down."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.allow_all = True
        self.allowed: set[tuple[str, str]] = set()
        # (learner, module) pairs whose course the learner completed: review is allowed.
        self.completed: set[tuple[str, str]] = set()
        self.down = False
        self.rosters: dict[str, dict[str, Any]] = {}
        self.classes: dict[str, dict[str, Any]] = {}
        self.courses: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, ...]] = []

    def learning_access(self, learner_id: str, module_id: str) -> dict[str, Any]:
        self.calls.append(("access", learner_id, module_id))
        if self.down:
            raise ServiceUnavailable("catalog: ConnectionError")
        allowed = self.allow_all or (learner_id, module_id) in self.allowed
        return {
            "allowed": allowed,
            "course_ids": [],
            "class_ids": [],
            "reviewable": (learner_id, module_id) in self.completed,
        }

    def roster(self, class_id: str) -> dict[str, Any] | None:
        if self.down:
            raise ServiceUnavailable("catalog: ConnectionError")
        self.calls.append(("roster", class_id))
        return self.rosters.get(class_id)

    def course_class(self, class_id: str) -> dict[str, Any] | None:
        if self.down:
            raise ServiceUnavailable("catalog: ConnectionError")
        return self.classes.get(class_id)

    def course(self, course_id: str) -> dict[str, Any] | None:
        if self.down:
            raise ServiceUnavailable("catalog: ConnectionError")
        return self.courses.get(course_id)

    def add_class(
        self, class_id: str, module_ids: list[str], trainer_ids: list[str], roster: list[Any]
    ) -> None:
        """A class of a course using module_ids, taught by trainer_ids, with this roster."""
        course_id = f"course-of-{class_id}"
        self.courses[course_id] = {"id": course_id, "module_ids": module_ids}
        self.classes[class_id] = {
            "id": class_id,
            "course_id": course_id,
            "trainer_ids": trainer_ids,
        }
        self.rosters[class_id] = {"items": roster}


@pytest.fixture(scope="session")
def content_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the app stores module content during the tests."""
    return tmp_path_factory.mktemp("content")


@pytest.fixture(scope="session")
def fake_catalog() -> FakeCatalog:
    return FakeCatalog()


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    """The launch credentials' clock (epoch seconds when called), moved by hand."""
    return FakeClock(datetime.fromtimestamp(1_900_000_000, UTC))


@pytest.fixture(scope="session")
def app(
    tmp_path_factory: pytest.TempPathFactory,
    content_root: Path,
    fake_catalog: FakeCatalog,
    clock: FakeClock,
) -> Iterator[Flask]:
    """The elearning app, schema built by its migrations."""
    with migrated_app(
        "elearning",
        create_app,
        db,
        tmp_path_factory.mktemp("elearning"),
        CONTENT_DIR=str(content_root),
        LAUNCH_SECRET="test-launch-secret",
        MODULE_MAX_BYTES=8 * 1024 * 1024,
    ) as application:
        application.extensions["elearning_catalog"] = fake_catalog
        application.extensions["elearning_launch"].clock = clock
        yield application


@pytest.fixture
def client(app: Flask, content_root: Path, fake_catalog: FakeCatalog) -> FlaskClient:
    """A test client on empty tables, an empty content folder and a catalog that says yes."""
    with app.app_context():
        empty_tables(db)
    for child in content_root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    fake_catalog.reset()
    return app.test_client()


CALLERS = Cast(
    trainer=Persona(TRAINER, ("trainer",), {"name": "Widyaiswara Uji"}),
    learner=Persona(LEARNER, ("asn",), {"name": "Nyimas Ayu Lestari"}),
    other=Persona(OTHER, ("asn",), {"name": "Pegawai Lain"}),
    admin=Persona(ADMIN, ("admin",), {"name": "Admin BKPSDM"}),
    trainer2=Persona(OTHER, ("trainer",), {"name": "Trainer Lain"}),
)


@pytest.fixture
def as_user() -> Cast:
    """Authorization headers for the test people: as_user("trainer"), as_user("learner")."""
    return CALLERS


def zip_folder(folder: Path) -> bytes:
    """A folder's files as a zip (made at test time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


@pytest.fixture
def upload(client: FlaskClient, as_user: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    """upload(data, name, title=None, who="trainer", module_id=None) -> response."""

    def send(
        data: bytes,
        name: str = "upload.zip",
        title: str | None = None,
        who: str = "trainer",
        module_id: str | None = None,
    ) -> Any:
        form: dict[str, Any] = {"file": (io.BytesIO(data), name)}
        if title:
            form["title"] = title
        url = f"/api/v1/modules/{module_id}/versions" if module_id else "/api/v1/modules"
        return client.post(url, data=form, headers=as_user(who), content_type="multipart/form-data")

    return send


@pytest.fixture
def zipper() -> Callable[[Path], bytes]:
    """zip_folder as a fixture (test modules cannot import conftest)."""
    return zip_folder


@pytest.fixture
def sample_zip() -> bytes:
    """The project's small SCORM 1.2 package (two chapters, Bahasa Indonesia)."""
    return zip_folder(DATA / "kursus_scorm12")


MANIFEST_2004 = b"""<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>Kursus 2004</title>
    <item identifier="i1" identifierref="r1"><title>Satu</title></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="a.html">
    <file href="a.html"/></resource></resources>
</manifest>"""


@pytest.fixture
def scorm2004_zip() -> bytes:
    """The smallest SCORM 2004 package: one SCO, one page."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("imsmanifest.xml", MANIFEST_2004)
        zf.writestr("a.html", "<html><head><title>a</title></head><body>a</body></html>")
    return buf.getvalue()
