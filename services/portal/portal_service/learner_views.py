"""The learner's pages: beranda, katalog, pendaftaran, modules, tests, certificates."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit
from uuid import UUID

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from . import beranda
from .auth import access_token, api_get, api_post, api_put, current_user, login_required
from .beranda import HOME_LIST
from .broadcast_views import unread_announcements
from .fanout import concurrently
from .forms import ActionForm, WithdrawForm, page_number
from .gateway import ApiError, gateway, path
from .i18n import zone_name
from .labels import COURSE_FORMS
from .notification_views import unread_notifications
from .pages import (
    CERTIFICATE_CODE,
    answers_from_form,
    competency_names,
    friendly,
    items_of,
    load_part,
    load_parts,
    pagination,
    sanitize_questions,
    saved_answers,
)

bp = Blueprint("learner", __name__)
log = logging.getLogger("portal.learner")

ACTIVE_STATUSES = ("requested", "waitlisted", "enrolled")


def _this_year() -> int:
    from .auth import now

    return datetime.fromtimestamp(now(), UTC).year


@bp.get("/")
@login_required
def home():
    """Beranda by role: a learner's JP, enrolments, certificates and surveys; a trainer's
    modules, tests and classes; an admin's compliance and reports; a supervisor's to-dos.
    Every card's call, the banner's and the bell's go out at once."""
    user = current_user()
    assert user is not None
    year = _this_year()
    # Trainers and admins without the ASN role are not learners: their cards replace these.
    learner = user.has("asn") or not user.has("trainer", "admin")
    roles: list[tuple[beranda.Fetches, Callable[[beranda.Loaded], dict[str, Any]]]] = []
    if learner:
        roles.append((_learner_fetches(user, year), _learner_parts))
    if user.has("supervisor"):
        roles.append((beranda.supervisor_fetches(user), beranda.supervisor_parts))
    if user.has("trainer"):
        roles.append((beranda.trainer_fetches(user), beranda.trainer_parts))
    if user.has("admin"):
        roles.append((beranda.admin_fetches(), beranda.admin_parts))
    fetches: beranda.Fetches = {"banner": unread_announcements, "bell": unread_notifications}
    for role_fetches, _build in roles:
        fetches.update(role_fetches)
    loaded = load_parts(**fetches)
    parts: dict[str, Any] = {"year": year, "learner": learner}
    for _fetches, build in roles:
        parts.update(build(loaded))
    return render_template("home.html", **parts)


def _learner_fetches(user: Any, year: int) -> beranda.Fetches:
    """JP this year against the target, enrolments, certificates, pending surveys, apresiasi
    (JP and apresiasi are an ASN's only)."""
    fetches: beranda.Fetches = {
        "enrolments": lambda: items_of(
            api_get("/api/v1/enrolments", params={"scope": "mine", "per_page": HOME_LIST})
        ),
        "certificates": lambda: items_of(
            api_get("/api/v1/certificates", params={"per_page": HOME_LIST})
        ),
        "surveys": lambda: items_of(api_get("/api/v1/surveys", params={"status": "pending"})),
    }
    if user.has("asn"):
        fetches["jp"] = lambda: api_get(
            path("/api/v1/people/{}/jp", user.id), params={"year": year}
        )
        fetches["appreciations"] = lambda: items_of(
            api_get(path("/api/v1/people/{}/appreciations", user.id))
        )
    return fetches


def _learner_parts(loaded: beranda.Loaded) -> dict[str, Any]:
    """The learner's cards from what _learner_fetches loaded."""
    jp, jp_error = loaded.get("jp", (None, None))
    enrolments, enrolments_error = loaded["enrolments"]
    certificates, certificates_error = loaded["certificates"]
    surveys, surveys_error = loaded["surveys"]
    appreciations, appreciations_error = loaded.get("appreciations", (None, None))
    return {
        "appreciations": (appreciations or [])[:3],
        "appreciations_error": appreciations_error,
        "jp": jp if isinstance(jp, dict) else None,
        "jp_error": jp_error,
        "enrolments": enrolments or [],
        "enrolments_error": enrolments_error,
        "certificates": certificates or [],
        "certificates_error": certificates_error,
        "surveys": surveys or [],
        "surveys_error": surveys_error,
    }


def catalog_filters(args: Any) -> dict[str, Any]:
    """The catalogue's filters from the query string, each bounded like the API bounds it."""

    def jp(name: str) -> int | None:
        raw = (args.get(name) or "").strip()
        return min(int(raw), 10000) if raw.isdigit() else None

    form = args.get("form", "")
    return {
        "q": args.get("q", "").strip()[:200],
        "competency": args.get("competency", "").strip()[:64],
        "form": form if form in COURSE_FORMS else "",
        "provider": args.get("provider", "").strip()[:40],
        "jp_min": jp("jp_min"),
        "jp_max": jp("jp_max"),
        "open": args.get("open") == "1",
    }


@bp.get("/katalog")
@login_required
def catalog():
    """Katalog pelatihan: words or a course code, competency by name, form, provider, JP,
    open classes; page by page."""
    filters = catalog_filters(request.args)
    page = page_number(request.args.get("page"))
    params = {k: v for k, v in filters.items() if v not in ("", None, False) and k != "open"}
    if filters["open"]:
        params["has_open_class"] = "true"
    loaded = load_parts(
        courses=lambda: api_get(
            "/api/v1/courses",
            params={**params, "page": page, "per_page": current_app.config["PER_PAGE"]},
        ),
        providers=lambda: items_of(api_get("/api/v1/providers", params={"per_page": 100})),
        competencies=competency_names,
        bell=unread_notifications,
    )
    data, error = loaded["courses"]
    providers, _providers_error = loaded["providers"]
    query = {k: ("1" if v is True else v) for k, v in filters.items() if v not in ("", None, False)}
    return render_template(
        "catalog.html",
        courses=items_of(data),
        error=error,
        filters=filters,
        query=query,
        forms=COURSE_FORMS,
        competencies=sorted(loaded["competencies"][0].items(), key=lambda item: item[1]),
        providers=sorted(providers or [], key=lambda p: str(p.get("name"))),
        paging=pagination(data, page),
    )


@bp.get("/katalog/<uuid:course_id>")
@login_required
def course(course_id: UUID):
    """One course, its classes and the Daftar button."""
    # The course itself decides the page (a 404 is the page's); the rest are its parts.
    data, (classes, classes_error), (mine, _mine_error), names = concurrently(
        lambda: api_get(path("/api/v1/courses/{}", course_id)),
        lambda: load_part(lambda: items_of(api_get(path("/api/v1/courses/{}/classes", course_id)))),
        lambda: load_part(
            lambda: items_of(
                api_get("/api/v1/enrolments", params={"scope": "mine", "course_id": str(course_id)})
            )
        ),
        competency_names,
    )
    course = data if isinstance(data, dict) else {}
    statuses = {str(e.get("status")) for e in mine or []}
    return render_template(
        "course.html",
        course=course,
        completed="completed" in statuses,
        already=bool(statuses & set(ACTIVE_STATUSES)),
        competency_names=names if course.get("competencies") else {},
        classes=classes or [],
        classes_error=classes_error,
        form=ActionForm(),
    )


@bp.post("/katalog/kelas/<uuid:class_id>/daftar")
@login_required
def request_place(class_id: UUID):
    """Request a place in a class (the supervisor approves it)."""
    back = request.form.get("course_id", "")
    try:
        api_post("/api/v1/enrolments", json={"class_id": str(class_id)})
    except ApiError as error:
        if error.unavailable:
            raise
        flash(friendly(error), "error")
        return redirect(_course_url(back), code=303)
    flash(_("Permintaan tempat terkirim dan menunggu persetujuan atasan Anda."), "success")
    return redirect(url_for("learner.enrolments"), code=303)


def _course_url(course_id: str) -> str:
    try:
        return url_for("learner.course", course_id=UUID(course_id))
    except ValueError:
        return url_for("learner.catalog")


@bp.get("/pendaftaran")
@login_required
def enrolments():
    """My enrolments, with module and post-test buttons for enrolled e-learning courses."""
    data, _bell = concurrently(
        lambda: api_get("/api/v1/enrolments", params={"scope": "mine", "per_page": 100}),
        unread_notifications,
    )
    enrolments = items_of(data)
    learning = [
        e for e in enrolments if e.get("status") in ("enrolled", "completed") and e.get("course_id")
    ]
    courses = load_parts(**{str(e["course_id"]): _course_of(e["course_id"]) for e in learning})
    # Every course's modules and tests at once, for all courses together.
    fetches: dict[str, Callable[[], Any]] = {}
    for course, _error in courses.values():
        fetches.update(_learning_fetches(course or {}))
    loaded = load_parts(**fetches)
    rows: list[dict[str, Any]] = []
    for enrolment in enrolments:
        row: dict[str, Any] = {"enrolment": enrolment, "learning": None, "error": None}
        if enrolment in learning:
            course, row["error"] = courses[str(enrolment["course_id"])]
            if course is not None:
                row["learning"] = _learning(enrolment, course, loaded)
        rows.append(row)
    current = [r for r in rows if r["enrolment"].get("status") in ACTIVE_STATUSES]
    past = [r for r in rows if r["enrolment"].get("status") not in ACTIVE_STATUSES]
    return render_template(
        "enrolments.html", current=current, past=past, form=ActionForm(), active=ACTIVE_STATUSES
    )


@bp.get("/pendaftaran/<uuid:enrolment_id>/batalkan")
@login_required
def confirm_withdraw(enrolment_id: UUID):
    """Ask once more before withdrawing: a lost seat may go to the waitlist at once."""
    enrolment = api_get(path("/api/v1/enrolments/{}", enrolment_id)) or {}
    if enrolment.get("status") not in ACTIVE_STATUSES:
        flash(_("Pendaftaran ini tidak dapat dibatalkan lagi."), "warning")
        return redirect(url_for("learner.enrolments"), code=303)
    return render_template(
        "withdraw.html", enrolment=enrolment, enrolment_id=enrolment_id, form=WithdrawForm()
    )


@bp.post("/pendaftaran/<uuid:enrolment_id>/batalkan")
@login_required
def withdraw(enrolment_id: UUID):
    """Withdraw from a class; the API says why when it cannot (409: already decided)."""
    form = WithdrawForm()
    if not form.validate():
        flash(_("Alasan terlalu panjang."), "error")
        return redirect(url_for("learner.confirm_withdraw", enrolment_id=enrolment_id), code=303)
    reason = (form.reason.data or "").strip()
    try:
        api_post(
            path("/api/v1/enrolments/{}/withdraw", enrolment_id),
            json={"reason": reason} if reason else {},
        )
    except ApiError as error:
        if error.unavailable:
            raise
        flash(friendly(error), "error")
        return redirect(url_for("learner.enrolments"), code=303)
    flash(_("Pendaftaran dibatalkan."), "success")
    return redirect(url_for("learner.enrolments"), code=303)


def _course_of(course_id: Any) -> Callable[[], dict[str, Any]]:
    return lambda: api_get(path("/api/v1/courses/{}", course_id)) or {}


def _learning_fetches(course: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """The course's module titles and my attempts at its tests, by module or test id."""
    fetches: dict[str, Callable[[], Any]] = {
        f"module {m}": functools.partial(api_get, path("/api/v1/modules/{}", m))
        for m in course.get("module_ids") or []
    }
    for test_id in (course.get("pre_test_id"), course.get("post_test_id")):
        if test_id:
            fetches[f"attempts {test_id}"] = functools.partial(
                api_get, path("/api/v1/assessments/{}/attempts", test_id), params={"per_page": 50}
            )
    return fetches


def _learning(
    enrolment: dict[str, Any], course: dict[str, Any], loaded: dict[str, tuple[Any, str | None]]
) -> dict[str, Any]:
    """The modules and tests of an enrolled course, with module titles when they load."""
    done = {str(m) for m in enrolment.get("completed_module_ids") or []}
    modules = []
    for module_id in course.get("module_ids") or []:
        module, _error = loaded[f"module {module_id}"]
        title = module.get("title") if isinstance(module, dict) else None
        modules.append(
            {"id": str(module_id), "title": title or _("Modul"), "done": str(module_id) in done}
        )
    return {
        "post_test_passed": bool(enrolment.get("post_test_passed")),
        "modules": modules,
        "pre_test_id": course.get("pre_test_id"),
        "post_test_id": course.get("post_test_id"),
        "pre_test": _my_attempts(course.get("pre_test_id"), loaded),
        "post_test": _my_attempts(course.get("post_test_id"), loaded),
    }


def _my_attempts(test_id: Any, loaded: dict[str, tuple[Any, str | None]]) -> dict[str, Any] | None:
    """My attempts at a test: whether one is open, how many are closed, the latest score."""
    if not test_id:
        return None
    attempts = items_of(loaded[f"attempts {test_id}"][0])
    closed = [a for a in attempts if a.get("status") not in (None, "open")]
    return {
        "open": any(a.get("status") == "open" for a in attempts),
        "closed": len(closed),
        "score": closed[-1].get("score") if closed else None,
    }


@bp.post("/modul/<uuid:module_id>/mulai")
@login_required
def launch_module(module_id: UUID):
    """Open (or resume) a module attempt and send the browser to its player."""
    return open_player(module_id, "normal", url_for("learner.enrolments"))


@bp.post("/modul/<uuid:module_id>/tinjau")
@login_required
def review_module(module_id: UUID):
    """Tinjau ulang: replay a module of a completed course; elearning launches it with no
    credit, so nothing done in it changes progress, JP or the certificate."""
    return open_player(module_id, "review", url_for("learner.enrolments"))


def open_player(module_id: UUID | str, mode: str, back: str) -> BaseResponse:
    """Launch the module in this mode (normal, review, preview) and send the browser to its
    player; a refusal goes back to `back` with the portal's own message."""
    try:
        attempt = (
            api_post(
                path("/api/v1/modules/{}/attempts", module_id),
                **({} if mode == "normal" else {"json": {"mode": mode}}),
            )
            or {}
        )
    except ApiError as error:
        if error.unavailable:
            raise
        flash(friendly(error), "error")
        return redirect(back, code=303)
    launch_url = attempt.get("launch_url") if isinstance(attempt, dict) else None
    if not _acceptable_launch_url(launch_url):
        log.warning("module %s attempt without a usable launch_url", module_id)
        abort(502)
    return redirect(launch_url, code=303)


def _acceptable_launch_url(url: Any) -> TypeGuard[str]:
    """A path on this site or an http(s) address: nothing like javascript: or data:."""
    if not isinstance(url, str) or not url:
        return False
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return url.startswith("/") and not url.startswith("//")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@bp.post("/asesmen/<uuid:assessment_id>/mulai")
@login_required
def start_assessment(assessment_id: UUID):
    """Start (or resume) a test attempt, then show it on its own page (reload-safe)."""
    try:
        attempt = api_post(path("/api/v1/assessments/{}/attempts", assessment_id)) or {}
    except ApiError as error:
        if error.unavailable:
            raise
        flash(friendly(error), "error")
        return redirect(url_for("learner.enrolments"), code=303)
    try:
        attempt_id = UUID(str(attempt.get("id", "")))
    except ValueError:
        log.warning("assessment %s attempt without a usable id", assessment_id)
        abort(502)
    _remember_test_context(str(attempt_id), attempt, request.form)
    return redirect(url_for("learner.assessment_attempt", attempt_id=attempt_id), code=303)


# The attempt answer may not name its test: the page the learner came from does, and the
# last few are kept in the (signed) session, small and bounded.
TEST_KINDS = ("pre_test", "post_test", "exam")
TEST_CONTEXTS_KEPT = 5


def _remember_test_context(attempt_id: str, attempt: dict[str, Any], form: Any) -> None:
    kind = attempt.get("kind") or form.get("kind")
    context = {
        "title": str(attempt.get("title") or attempt.get("assessment_title") or "")[:200],
        "kind": kind if kind in TEST_KINDS else "",
        "course": str(form.get("course_title") or "")[:200],
    }
    kept = {k: v for k, v in (session.get("tests") or {}).items() if k != attempt_id}
    kept[attempt_id] = context
    session["tests"] = dict(list(kept.items())[-TEST_CONTEXTS_KEPT:])


def _test_heading(attempt_id: str, attempt: dict[str, Any]) -> dict[str, str]:
    """The test's title (the API's, else the remembered one), its kind and its course."""
    context = (session.get("tests") or {}).get(attempt_id) or {}
    kind = attempt.get("kind") or context.get("kind") or ""
    return {
        "title": str(
            attempt.get("title") or attempt.get("assessment_title") or context.get("title") or ""
        ),
        "kind": kind if kind in TEST_KINDS else "",
        "course": str(context.get("course") or ""),
    }


@bp.get("/asesmen/percobaan/<uuid:attempt_id>")
@login_required
def assessment_attempt(attempt_id: UUID):
    """An open attempt's questions (never any answers) with its rules, its saved answers and
    its time left; a closed one shows its score."""
    attempt = api_get(path("/api/v1/assessment-attempts/{}", attempt_id)) or {}
    if attempt.get("status") not in (None, "open"):
        return render_template(
            "assessment_result.html",
            score=attempt.get("score"),
            passed=bool(attempt.get("passed")),
            pending=attempt.get("passed") is None,
        )
    questions = sanitize_questions(attempt.get("questions"))
    rules = _dict_of(attempt.get("assessment"))
    saved = _dict_of(attempt.get("responses"))
    return render_template(
        "assessment.html",
        attempt_id=str(attempt_id),
        test=_test_heading(str(attempt_id), {**rules, **attempt}),
        rules=rules,
        number=attempt.get("number"),
        deadline=attempt.get("deadline"),
        questions=questions,
        saved=saved_answers(questions, saved),
        unanswered=request.args.get("belum", type=int),
        zone_name=zone_name(),
        form=ActionForm(),
    )


def _dict_of(value: Any) -> dict[str, Any]:
    """A JSON object from the API's answer; an empty dict when it sent anything else."""
    return value if isinstance(value, dict) else {}


def _answerable(attempt: dict[str, Any]) -> list[dict[str, Any]]:
    """The attempt's questions that take an answer (a description only informs)."""
    return [q for q in sanitize_questions(attempt.get("questions")) if q["type"] != "description"]


def _save_answers(attempt_id: UUID, answers: dict[str, Any]) -> None:
    api_put(path("/api/v1/assessment-attempts/{}/answers", attempt_id), json={"answers": answers})


@bp.post("/asesmen/percobaan/<uuid:attempt_id>/simpan")
@login_required
def autosave_assessment(attempt_id: UUID):
    """Autosave (from the page's script): the answers so far, through the API's autosave;
    an answer the learner emptied is cleared there too."""
    attempt = api_get(path("/api/v1/assessment-attempts/{}", attempt_id)) or {}
    questions = _answerable(attempt)
    answers = answers_from_form(questions, request.form)
    before = _dict_of(attempt.get("responses"))
    cleared = {q["id"]: None for q in questions if q["id"] not in answers and q["id"] in before}
    try:
        _save_answers(attempt_id, {**cleared, **answers})
    except ApiError as error:
        status = 409 if error.status == 409 else 502 if error.unavailable else 400
        return jsonify(saved=False, message=friendly(error)), status
    return jsonify(saved=True, count=len(answers))


@bp.post("/asesmen/percobaan/<uuid:attempt_id>/kirim")
@login_required
def submit_assessment(attempt_id: UUID):
    """Send the answers (shaped by each question's type) and show the score. With questions
    left blank, the answers are saved and the page asks once more before spending the attempt."""
    attempt = api_get(path("/api/v1/assessment-attempts/{}", attempt_id)) or {}
    questions = _answerable(attempt)
    answers = answers_from_form(questions, request.form)
    blank = len(questions) - len(answers)
    try:
        if blank and request.form.get("confirm_blank") != "1":
            _save_answers(attempt_id, answers)
            flash(_("%(n)s soal belum dijawab. Jawaban Anda sudah disimpan.", n=blank), "warning")
            return redirect(
                url_for("learner.assessment_attempt", attempt_id=attempt_id, belum=blank), code=303
            )
        result = api_post(
            path("/api/v1/assessment-attempts/{}/submit", attempt_id), json={"answers": answers}
        )
    except ApiError as error:
        if error.unavailable:
            raise
        if error.status == 409:
            flash(_("Jawaban untuk percobaan ini sudah dikirim sebelumnya."), "warning")
            return redirect(url_for("learner.enrolments"), code=303)
        flash(friendly(error), "error")
        return redirect(url_for("learner.assessment_attempt", attempt_id=attempt_id), code=303)
    result = result if isinstance(result, dict) else {}
    return render_template(
        "assessment_result.html",
        score=result.get("score"),
        passed=bool(result.get("passed")),
        pending=bool(result.get("pending_review")),
    )


@bp.get("/sertifikat")
@login_required
def certificates():
    """My certificates, each with its PDF and its public verification page."""
    data, _bell = concurrently(
        lambda: api_get("/api/v1/certificates", params={"per_page": 100}), unread_notifications
    )
    valid = [c for c in items_of(data) if CERTIFICATE_CODE.match(str(c.get("code", "")))]
    return render_template("certificates.html", certificates=valid)


@bp.get("/sertifikat/<code>/pdf")
@login_required
def certificate_pdf(code: str):
    """The certificate PDF, fetched with the user's token and passed on as it streams."""
    if not CERTIFICATE_CODE.match(code):
        abort(404)
    upstream = (
        gateway()
        .request(
            "GET",
            path("/api/v1/certificates/{}/pdf", code),
            token=access_token(),
            headers={"Accept": "application/pdf"},
            stream=True,
        )
        .raw
    )
    if upstream.headers.get("Content-Type", "").split(";")[0].strip() != "application/pdf":
        upstream.close()
        abort(502)
    return Response(
        stream_with_context(upstream.iter_content(64 * 1024)),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="sertifikat-{code}.pdf"'},
    )
