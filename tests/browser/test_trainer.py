"""The trainer's workspace in the browser, against the real suite: GIFT import errors by line,
building and previewing a test, grading an essay, attendance and one-step completion of a
classroom class (certificate and JP follow), a refused completion of an e-learning enrolment,
and every page at desktop and 375 px without sideways scroll."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

GIFT_WITH_ONE_BAD = """// Bank uji dari portal
::Q1:: Ibu kota Sumatera Selatan adalah {=Palembang ~Jambi ~Bengkulu}

::Q2:: Jembatan Ampera melintasi sungai {~Ogan ~Komering}

::Q3:: 2 + 2 = {#4}

::Q4:: Jelaskan tugas pokok unit Anda. {}
"""
BAD_LINE = 4


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6].upper()}"


def _today() -> Any:
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


class World:
    """Data a test builds for itself through the API, as the admin, trainer and learners."""

    def __init__(self, suite: Any) -> None:
        self.admin = suite.api("admin")
        self.trainer = suite.api("trainer")
        self.pegawai = suite.api("pegawai")
        self.atasan = suite.api("atasan")
        self.trainer_id = _ok(self.trainer.get("/api/v1/me"))["id"]
        self.pegawai_id = _ok(self.pegawai.get("/api/v1/me"))["id"]

    def bank(self, questions: list[dict[str, Any]]) -> dict[str, Any]:
        bank = _ok(
            self.trainer.post("/api/v1/question-banks", json={"title": _unique("Bank")}), 201
        )
        for question in questions:
            _ok(
                self.trainer.post(f"/api/v1/question-banks/{bank['id']}/questions", json=question),
                201,
            )
        return bank

    def course(self, **fields: Any) -> dict[str, Any]:
        body = {
            "code": _unique("TRN"),
            "title": fields.pop("title", "Pelatihan Uji Pengajar"),
            "description": "uji",
            "jp": 6,
            "competencies": [],
            "module_ids": [],
            **fields,
        }
        course = _ok(self.admin.post("/api/v1/courses", json=body), 201)
        return _ok(self.admin.post(f"/api/v1/courses/{course['id']}/publish"))

    def klass(self, course: dict[str, Any], starts: Any, ends: Any) -> dict[str, Any]:
        body = {
            "name": _unique("Angkatan"),
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "capacity": 10,
            "enrolment_opens_on": min(starts, _today()).isoformat(),
            "enrolment_closes_on": _today().isoformat(),
            "trainer_ids": [self.trainer_id],
        }
        return _ok(self.admin.post(f"/api/v1/courses/{course['id']}/classes", json=body), 201)

    def enrol_pegawai(self, klass: dict[str, Any]) -> dict[str, Any]:
        enrolment = _ok(
            self.pegawai.post("/api/v1/enrolments", json={"class_id": klass["id"]}), 201
        )
        approved = _ok(self.atasan.post(f"/api/v1/enrolments/{enrolment['id']}/approve", json={}))
        assert approved["status"] == "enrolled"
        return approved

    def status(self, enrolment_id: str) -> str:
        return _ok(self.admin.get(f"/api/v1/enrolments/{enrolment_id}"))["status"]


@pytest.fixture
def world(suite: Any) -> World:
    return World(suite)


def _essay_class(world: World) -> tuple[dict, dict, dict]:
    """A post test with an essay, in a published course the trainer teaches; pegawai enrolled."""
    test = _ok(
        world.trainer.post(
            "/api/v1/assessments",
            json={
                "title": _unique("Tes akhir esai"),
                "kind": "post_test",
                "passing_score": 60,
                "questions": [
                    {"type": "essay", "text": "Uraikan langkah pelayanan prima di unit Anda."}
                ],
            },
        ),
        201,
    )
    course = world.course(form="e_learning", post_test_id=test["id"])
    klass = world.klass(course, _today(), _today() + timedelta(days=30))
    return test, klass, world.enrol_pegawai(klass)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_gift_import_shows_the_bad_question_beside_its_line(page_as, world, assert_fits, phone):
    bank = world.bank([])
    page = page_as("trainer", phone=phone)
    page.goto(f"/pengajar/bank-soal/{bank['id']}")
    page.fill("#imp-text", GIFT_WITH_ONE_BAD)
    page.click("#impor ~ form button[type=submit]")
    assert "3 soal ditambahkan" in page.locator("p.flash").inner_text()
    bad = page.locator(".source-line.bad")
    assert bad.count() == 1
    assert bad.get_attribute("id") == f"baris-{BAD_LINE}"
    assert "Jembatan Ampera" in bad.inner_text()
    assert f"Baris {BAD_LINE}" in bad.locator(".line-error").inner_text()
    assert_fits(page)
    page.click("text=Kembali ke bank soal")
    assert page.locator("ol.questions > li").count() == 3


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_build_a_random_test_by_tag_and_preview_it(page_as, world, assert_fits, phone):
    single = {
        "type": "single",
        "text": "Sungai terpanjang di Palembang?",
        "choices": ["Musi", "Ogan"],
        "answer": 0,
        "tags": ["SUNGAI"],
    }
    truth = {
        "type": "true_false",
        "text": "Ampera dibuka 1965.",
        "answer": True,
        "tags": ["SUNGAI"],
    }
    other = {
        "type": "short_answer",
        "text": "Kota pempek?",
        "answers": ["Palembang"],
        "tags": ["KULINER"],
    }
    bank = world.bank([single, truth, other])
    page = page_as("trainer", phone=phone)
    page.goto(f"/pengajar/tes/baru/{bank['id']}")
    page.fill("#t-title", "Tes awal sungai")
    page.select_option("#t-kind", "pre_test")
    page.fill("#t-pass", "75")
    page.fill("#t-time", "20")
    page.check("#mode-random")
    page.fill("#t-tags", "SUNGAI")
    page.fill("#t-count", "2")
    page.click("form.card button[type=submit]")
    assert "/pengajar/tes/" in page.url and "Tes dibuat" in page.locator(".flash").inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert "75" in facts and "20 menit" in facts and "2 soal diambil acak dari 2" in facts
    preview = page.locator("fieldset.preview")
    assert preview.count() == 2
    texts = preview.all_inner_texts()
    assert not any("Kota pempek" in t for t in texts)  # another tag is never drawn
    assert_fits(page)
    # a draw larger than the tagged pool is refused in Indonesian, nothing created
    page.goto(f"/pengajar/tes/baru/{bank['id']}")
    page.fill("#t-title", "Terlalu banyak")
    page.check("#mode-random")
    page.fill("#t-tags", "SUNGAI")
    page.fill("#t-count", "5")
    page.click("form.card button[type=submit]")
    assert "melebihi" in page.locator(".flash-error").inner_text()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_grade_an_essay_and_the_learner_sees_the_result(page_as, world, assert_fits, phone):
    test, _klass, enrolment = _essay_class(world)
    attempt = _ok(world.pegawai.post(f"/api/v1/assessments/{test['id']}/attempts"), 201)
    [question] = attempt["questions"]
    submitted = _ok(
        world.pegawai.post(
            f"/api/v1/assessment-attempts/{attempt['id']}/submit",
            json={"answers": {question["id"]: "Menyapa, mendengar, menindaklanjuti."}},
        )
    )
    assert submitted["pending_review"] is True
    page = page_as("trainer", phone=phone)
    page.goto("/pengajar/penilaian")
    row = page.locator("tr", has_text=test["title"])
    assert "Nyimas Ayu Lestari" in row.inner_text()
    row.locator("a.button").click()
    assert page.locator("#status-lulus").inner_text() == "Menunggu penilaian esai"
    page.fill(f"#score-{question['id']}", "85")
    page.fill(f"#comment-{question['id']}", "Runtut dan konkret.")
    page.click("main form button[type=submit]")
    assert "→ 85" in page.locator(".flash-success").inner_text()
    assert page.locator("#skor").inner_text() == "85"
    assert page.locator("#status-lulus").inner_text() == "Lulus"
    assert_fits(page)
    learner = page_as("pegawai", phone=phone)
    learner.goto(f"/asesmen/percobaan/{attempt['id']}")
    assert_fits(learner)
    assert "85" in learner.locator(".big").inner_text()
    assert "lulus" in learner.locator(".flash-success").inner_text()
    # the post test passed: the e-learning course completed by itself
    deadline = time.monotonic() + 30
    while world.status(enrolment["id"]) != "completed" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert world.status(enrolment["id"]) == "completed"


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_change_test_settings_until_learners_submit(page_as, world, assert_fits, phone):
    question = {"type": "single", "text": "Sungai di Palembang?", "choices": ["Musi", "Nil"]}
    test = _ok(
        world.trainer.post(
            "/api/v1/assessments",
            json={
                "title": _unique("Tes akhir"),
                "kind": "post_test",
                "passing_score": 60,
                "questions": [{**question, "answer": 0}],
            },
        ),
        201,
    )
    page = page_as("trainer", phone=phone)
    page.goto(f"/pengajar/tes/{test['id']}")
    page.click("#ubah-pengaturan")
    assert page.locator("#e-pass").input_value() == "60"
    assert_fits(page)
    # a value out of range is refused by evaluation, named beside its field, nothing kept
    page.fill("#e-pass", "120")
    page.click("#ubah-tes button[type=submit]")
    assert "nilai lulus" in page.locator(".flash-error").inner_text()
    assert page.locator("#err-passing_score").count() == 1
    assert page.locator("#e-pass").input_value() == "120"
    assert _ok(world.trainer.get(f"/api/v1/assessments/{test['id']}"))["passing_score"] == 60
    page.fill("#e-pass", "80")
    page.fill("#e-time", "25")
    page.fill("#e-attempts", "1")
    page.check("#e-shuffle")
    page.click("#ubah-tes button[type=submit]")
    assert "Pengaturan tes disimpan" in page.locator(".flash-success").inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert "80" in facts and "25 menit" in facts and "Acak\nya" in facts
    saved = _ok(world.trainer.get(f"/api/v1/assessments/{test['id']}"))
    assert (saved["passing_score"], saved["time_limit_minutes"], saved["max_attempts"]) == (
        80,
        25,
        1,
    )
    # a learner sits it (and fails, so nothing completes); from now on it is in use
    course = world.course(form="e_learning", post_test_id=test["id"])
    world.enrol_pegawai(world.klass(course, _today(), _today() + timedelta(days=30)))
    attempt = _ok(world.pegawai.post(f"/api/v1/assessments/{test['id']}/attempts"), 201)
    wrong = {q["id"]: q["choices"].index("Nil") for q in attempt["questions"]}  # shuffled
    submitted = world.pegawai.post(
        f"/api/v1/assessment-attempts/{attempt['id']}/submit", json={"answers": wrong}
    )
    assert _ok(submitted)["passed"] is False
    page.click("#ubah-pengaturan")
    page.fill("#e-pass", "50")
    page.fill("#e-title", "Judul baru")
    page.click("#ubah-tes button[type=submit]")
    refusal = page.locator(".flash-error").inner_text()
    assert "Sudah ada peserta" in refusal and "nilai lulus" in refusal
    assert _ok(world.trainer.get(f"/api/v1/assessments/{test['id']}"))["passing_score"] == 80
    assert_fits(page)
    # loosening is still fair: one more attempt for everyone, and a new title
    page.fill("#e-pass", "80")
    page.fill("#e-attempts", "2")
    page.click("#ubah-tes button[type=submit]")
    assert "Pengaturan tes disimpan" in page.locator(".flash-success").inner_text()
    assert page.locator("h1").inner_text() == "Judul baru"
    assert _ok(world.trainer.get(f"/api/v1/assessments/{test['id']}"))["max_attempts"] == 2


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_define_session_days_and_record_one_day(page_as, world, assert_fits, phone):
    course = world.course(form="klasikal", title="Kearsipan Tatap Muka")
    start = _today() - timedelta(days=9)
    klass = world.klass(course, start, _today() + timedelta(days=3))
    enrolment = world.enrol_pegawai(klass)
    sessions = f"/api/v1/classes/{klass['id']}/sessions"
    days = [s["day"] for s in _ok(world.trainer.get(sessions))["items"]]
    page = page_as("trainer", phone=phone)
    page.goto(f"/pengajar/kelas/{klass['id']}/kehadiran")
    listed = page.locator("ul.sessions > li")
    assert listed.count() == len(days)
    assert_fits(page)
    # remove the first day, then add it back; a day twice is refused in Indonesian
    first = days[0]
    page.locator(f"#sesi-{first} button").click()
    assert "dihapus" in page.locator(".flash-success").inner_text()
    assert page.locator(f"#sesi-{first}").count() == 0
    assert first not in [s["day"] for s in _ok(world.trainer.get(sessions))["items"]]
    page.fill("#sesi-baru", first)
    page.click("#tambah-sesi button[type=submit]")
    assert "ditambahkan" in page.locator(".flash-success").inner_text()
    page.fill("#sesi-baru", first)
    page.click("#tambah-sesi button[type=submit]")
    assert "sudah memiliki hari sesi" in page.locator(".flash-error").inner_text()
    assert [s["day"] for s in _ok(world.trainer.get(sessions))["items"]] == days
    # a day still to come offers no attendance form yet
    future = [d for d in days if d > _today().isoformat()]
    if future:
        assert "belum berlangsung" in page.locator(f"#sesi-{future[0]}").inner_text()
    # record one held day on its own page
    page.locator(f"#sesi-{first} a").click()
    assert page.locator("h1").inner_text().startswith("Kehadiran")
    assert_fits(page)
    page.check(f"#hadir-{enrolment['id']}")
    page.click("#form-hari button[type=submit]")
    assert "disimpan" in page.locator(".flash-success").inner_text()
    sheet = _ok(world.trainer.get(f"/api/v1/classes/{klass['id']}/attendance"))
    [learner] = [r for r in sheet["learners"] if r["enrolment_id"] == enrolment["id"]]
    assert learner["present_days"] == [first]
    box = page.locator(f"#peserta-{enrolment['id']} input[name='hadir-{first}']")
    assert box.is_checked()


def _jp(world: World) -> dict[str, Any]:
    return _ok(world.pegawai.get(f"/api/v1/people/{world.pegawai_id}/jp?year={_today().year}"))


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_attendance_and_completion_of_a_classroom_class(page_as, world, assert_fits, phone):
    course = world.course(form="klasikal", title=_unique("Pelayanan Prima Tatap Muka"), jp=7)
    assert course["min_attendance_percent"] == 80
    # a class from a week ago to today: its session days are last week's and today's weekdays
    klass = world.klass(course, _today() - timedelta(days=7), _today())
    enrolment = world.enrol_pegawai(klass)
    before = _jp(world)["earned"]
    page = page_as("trainer", phone=phone)
    page.goto(f"/pengajar/kelas/{klass['id']}")
    page.click("text=Kehadiran dan penyelesaian")
    row = page.locator(f"#peserta-{enrolment['id']}")
    assert "kehadiran belum memenuhi syarat" in row.inner_text()
    # completing now is refused: nobody meets the rule yet
    page.click("#selesaikan-kelas")
    assert "0 peserta diselesaikan" in page.locator(".flash").inner_text()
    assert world.status(enrolment["id"]) == "enrolled"
    boxes = row.locator("input[type=checkbox]:not([disabled])")
    assert boxes.count() >= 1
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.click("#form-kehadiran button[type=submit]")
    assert "disimpan" in page.locator(".flash-success").inner_text()
    row = page.locator(f"#peserta-{enrolment['id']}")
    assert "100%" in row.inner_text() and "Memenuhi" in row.inner_text()
    assert_fits(page)
    page.click("#selesaikan-kelas")
    assert "1 peserta diselesaikan" in page.locator(".flash-success").inner_text()
    assert world.status(enrolment["id"]) == "completed"
    page.goto(f"/pengajar/kelas/{klass['id']}")
    with page.expect_download() as download:
        page.click("text=CSV")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["Nama", "Unit", "Status pendaftaran"]
    assert [row[2] for row in rows if row[0].startswith("Nyimas Ayu Lestari")] == ["completed"]
    # JP and the certificate arrive through enrolment.completed
    learner = page_as("pegawai", phone=phone)
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        learner.goto("/sertifikat")
        if learner.locator("tr", has_text=course["title"]).count():
            break
        time.sleep(1)
    assert learner.locator("tr", has_text=course["title"]).count() == 1
    assert_fits(learner)
    # JP arrive in personnel through the same event; other tests' completions may land too
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        jp = _jp(world)
        if any(e["course_code"] == course["code"] for e in jp["entries"]):
            break
        time.sleep(1)
    assert [e["jp"] for e in jp["entries"] if e["course_code"] == course["code"]] == [7]
    assert jp["earned"] >= before + 7
    learner.goto("/")
    assert f"{jp['earned']} / " in learner.locator("#jp ~ p.big").inner_text()
    assert_fits(learner)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_completing_an_elearning_enrolment_is_refused(page_as, world, assert_fits, phone):
    _test, klass, enrolment = _essay_class(world)
    page = page_as("trainer", phone=phone)
    page.goto(f"/pengajar/kelas/{klass['id']}")
    assert "selesai dengan sendirinya" in page.locator("main").inner_text()
    assert page.locator("text=Kehadiran dan penyelesaian").count() == 0
    # the page offers no button; a hand-made request is refused by catalog, in Indonesian
    page.evaluate(
        """([cls, enr]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = `/pengajar/kelas/${cls}/selesaikan/${enr}`;
            for (const [name, value] of [["back", "kelas"],
                ["csrf_token", document.querySelector("input[name=csrf_token]").value]]) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [klass["id"], enrolment["id"]],
    )
    page.wait_for_load_state()
    refusal = page.locator(".flash-error").inner_text()
    assert "selesai dengan sendirinya" in refusal and "tidak dapat" in refusal
    assert_fits(page)
    assert world.status(enrolment["id"]) == "enrolled"
    # and through the API the same
    r = world.trainer.post(f"/api/v1/enrolments/{enrolment['id']}/complete")
    assert r.status_code == 409 and r.json()["code"] == "completes-by-itself"


def test_another_trainers_class_is_not_offered(page_as, world):
    course = world.course(form="klasikal")
    body = {
        "name": "Kelas orang lain",
        "starts_on": _today().isoformat(),
        "ends_on": _today().isoformat(),
        "capacity": 5,
        "trainer_ids": [],
    }
    other = _ok(world.admin.post(f"/api/v1/courses/{course['id']}/classes", json=body), 201)
    page = page_as("trainer")
    page.goto("/pengajar/kelas")
    assert page.locator(f"a[href='/pengajar/kelas/{other['id']}']").count() == 0
    day = _today().isoformat()
    for url in (
        f"/pengajar/kelas/{other['id']}",
        f"/pengajar/kelas/{other['id']}/kehadiran",
        f"/pengajar/kelas/{other['id']}/kehadiran/{day}",
    ):
        response = page.goto(url)
        assert response.status == 404, url
    sessions = f"/api/v1/classes/{other['id']}/sessions"
    assert world.trainer.post(sessions, json={"day": day}).status_code == 404
    assert world.trainer.delete(f"{sessions}/{day}").status_code == 404
    assert [s["day"] for s in _ok(world.admin.get(sessions))["items"]] == [day]


def test_another_authors_test_cannot_be_changed(page_as, world):
    theirs = _ok(
        world.admin.post(
            "/api/v1/assessments",
            json={
                "title": "Tes milik admin",
                "kind": "pre_test",
                "passing_score": 50,
                "questions": [{"type": "true_false", "text": "Musi?", "answer": True}],
            },
        ),
        201,
    )
    page = page_as("trainer")
    for url in (f"/pengajar/tes/{theirs['id']}", f"/pengajar/tes/{theirs['id']}/ubah"):
        assert page.goto(url).status == 404, url
    r = world.trainer.patch(f"/api/v1/assessments/{theirs['id']}", json={"passing_score": 0})
    assert r.status_code == 404
    assert _ok(world.admin.get(f"/api/v1/assessments/{theirs['id']}"))["passing_score"] == 50


PAGES = [
    "/pengajar/modul",
    "/pengajar/bank-soal",
    "/pengajar/tes",
    "/pengajar/penilaian",
    "/pengajar/kelas",
]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_every_trainer_page_fits(page_as, world, assert_fits, phone):
    bank = world.bank(
        [
            {
                "type": "single",
                "text": "Soal contoh",
                "choices": ["a", "b"],
                "answer": 1,
                "tags": ["X"],
            }
        ]
    )
    questions = _ok(world.trainer.get(f"/api/v1/question-banks/{bank['id']}/questions"))["items"]
    test, klass, _enrolment = _essay_class(world)
    modules = _ok(world.trainer.get("/api/v1/modules"))["items"]
    pages = [
        *PAGES,
        f"/pengajar/bank-soal/{bank['id']}",
        f"/pengajar/soal/{questions[0]['id']}",
        f"/pengajar/tes/baru/{bank['id']}",
        f"/pengajar/tes/{test['id']}",
        f"/pengajar/tes/{test['id']}/ubah",
        f"/pengajar/kelas/{klass['id']}",
        "/pengajar/kelas/" + _demo_running_class(world) + "/kehadiran",
        *_first_held_day(world),
    ]
    if modules:
        pages.append(f"/pengajar/modul/{modules[0]['id']}")
    page = page_as("trainer", phone=phone)
    for url in pages:
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("h1").count() == 1, url
        assert_fits(page)


def _demo_running_class(world: World) -> str:
    classes = _ok(world.trainer.get(f"/api/v1/classes?trainer_id={world.trainer_id}&per_page=100"))
    return next(c["id"] for c in classes["items"] if c["name"] == "Angkatan Berjalan")


def _first_held_day(world: World) -> list[str]:
    """The per-day attendance page of the demo running class's first session day."""
    running = _demo_running_class(world)
    days = _ok(world.trainer.get(f"/api/v1/classes/{running}/sessions"))["items"]
    return [f"/pengajar/kelas/{running}/kehadiran/{days[0]['day']}"] if days else []


SCORM12 = "/work/shared/fixtures/zipped_packages_golf/scorm12.zip"


def test_upload_a_module_with_progress_then_a_new_version(page_as, assert_fits, tmp_path):
    page = page_as("trainer")
    page.goto("/pengajar/modul")
    page.fill("#unggah-modul-title", "Golf SCORM 1.2 dari portal")
    page.set_input_files("#unggah-modul-file", SCORM12)
    # the page does not reload while the file travels: the progress bar shows
    page.click("#unggah-modul button[type=submit]")
    page.wait_for_url("**/pengajar/modul/*")
    assert "berhasil diunggah" in page.locator(".flash-success").inner_text()
    assert page.locator("h1").inner_text() == "Golf SCORM 1.2 dari portal"
    assert "Versi sekarang\n1" in page.locator("dl.facts").inner_text()
    assert page.locator("text=Belum dipakai di pelatihan yang terbit").count() == 1
    # a new version of another kind is refused in Indonesian; of the same family it is kept
    pdf = tmp_path / "bukan-scorm.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files("#versi-baru-file", str(pdf))
    with page.expect_navigation():
        page.click("#versi-baru button[type=submit]")
    assert "tidak dapat dipakai sebagai modul" in page.locator(".flash-error").inner_text()
    page.set_input_files("#versi-baru-file", SCORM12)
    with page.expect_navigation():
        page.click("#versi-baru button[type=submit]")
    assert "Versi 2" in page.locator(".flash-success").inner_text()
    assert "Versi sekarang\n2" in page.locator("dl.facts").inner_text()
    assert_fits(page)
    page.goto("/pengajar/modul")
    assert page.locator("tr", has_text="Golf SCORM 1.2 dari portal").count() >= 1


def test_write_and_edit_questions_then_export(page_as, world, assert_fits):
    bank = world.bank([])
    page = page_as("trainer", phone=True)
    page.goto(f"/pengajar/bank-soal/{bank['id']}")
    # an incomplete question is refused in Indonesian and the form keeps what was typed
    page.select_option("#q-type", "single")
    page.fill("#q-text", "Sungai di Palembang?")
    page.fill("#q-choices", "Musi")
    page.click("#soal-baru ~ form button[type=submit]")
    assert "Soal belum lengkap" in page.locator(".flash-error").inner_text()
    assert page.locator("#q-text").input_value() == "Sungai di Palembang?"
    page.fill("#q-choices", "Musi\nCitarum")
    page.fill("#q-answer", "1")
    page.fill("#q-tags", "SUNGAI, M-KOM")
    page.click("#soal-baru ~ form button[type=submit]")
    assert "Soal ditambahkan" in page.locator(".flash-success").inner_text()
    page.select_option("#q-type", "numeric")
    page.fill("#q-text", "Panjang Ampera (m)?")
    page.fill("#q-number", "1177")
    page.fill("#q-tolerance", "5")
    page.click("#soal-baru ~ form button[type=submit]")
    items = page.locator("ol.questions > li")
    assert items.count() == 2
    assert "kunci: Musi" in items.nth(0).inner_text() and "#SUNGAI" in items.nth(0).inner_text()
    assert "1177 ± 5" in items.nth(1).inner_text()
    assert_fits(page)
    items.nth(1).locator("text=Ubah").click()
    assert page.locator("#q-number").input_value() == "1177"
    page.fill("#q-tolerance", "10")
    page.click("main form button[type=submit] >> nth=0")
    assert "1177 ± 10" in page.locator("ol.questions > li").nth(1).inner_text()
    with page.expect_download() as download:
        page.click("text=Ekspor GIFT")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Sungai di Palembang?" in text and "=Musi" in text
