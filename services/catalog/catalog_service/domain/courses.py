"""Course rules: validation against the dictionary, the status table, and the search query."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cakap_shared.auth import Principal
from cakap_shared.db import MAX_PER_PAGE, paginate, utcnow
from cakap_shared.problems import CakapError
from sqlalchemy import CTE, ColumnElement, Label, Select, exists, func, literal_column, or_, select

from ..extensions import db, events
from ..models import (
    CLASSROOM_FORMS,
    COURSE_FORMS,
    DEFAULT_MIN_ATTENDANCE,
    Competency,
    Course,
    CourseClass,
    CourseCompetency,
    CourseModule,
    CourseStatus,
    Provider,
)
from . import clock, search


class CourseAction(StrEnum):
    """What an admin does to a course's status."""

    PUBLISH = "publish"
    ARCHIVE = "archive"


# (status, action) -> new status; anything else is a 409.
COURSE_TRANSITIONS: dict[tuple[CourseStatus, CourseAction], CourseStatus] = {
    (CourseStatus.DRAFT, CourseAction.PUBLISH): CourseStatus.PUBLISHED,
    (CourseStatus.DRAFT, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
    (CourseStatus.PUBLISHED, CourseAction.ARCHIVE): CourseStatus.ARCHIVED,
}
# What may still change once learners can see and enrol in the course.
EDITABLE_WHEN_PUBLISHED = frozenset({"title", "description", "provider_id", "cost_per_participant"})


def visible(course: Course | None, who: Principal) -> Course:
    """Published and archived courses for everyone signed in; drafts for admins; else 404."""
    if course is None or (
        course.status == CourseStatus.DRAFT and not (who.is_admin or who.is_service)
    ):
        raise CakapError(404, "No course with this id.")
    return course


def load(course_id: str, who: Principal, *, to_change: bool = False) -> Course:
    """The course if `who` may see it (see visible); else 404.

    to_change: read afresh and held until the transaction ends. An edit and a publish
    take turns: an edit never lands on a course published meanwhile beyond what a
    published course allows, and the publish event says what the course holds.
    """
    # OF courses: the course's joined relationships are outer joins, which cannot be locked.
    held = {"of": Course} if to_change else None
    course = db.session.get(Course, course_id, with_for_update=held, populate_existing=to_change)
    return visible(course, who)


def check_form(value: str | None) -> None:
    """422 for a form that is not one of COURSE_FORMS."""
    if value is not None and value not in COURSE_FORMS:
        message = "Must be one of: " + ", ".join(COURSE_FORMS) + "."
        # No `errors` member: cakap_shared's flattening would rename "form" to "_body".
        raise CakapError(422, f"form: {message}")


def check_references(body: dict[str, Any], course: Course | None = None) -> None:
    """422 naming the field for unknown competency codes, provider, prerequisites."""
    check_form(body.get("form"))
    errors: dict[str, list[str]] = {}
    codes = [c["code"] for c in body.get("competencies") or []]
    if codes:
        known = set(db.session.scalars(select(Competency.code).where(Competency.code.in_(codes))))
        unknown = [c for c in codes if c not in known]
        if unknown:
            errors["competencies"] = ["unknown competency code(s): " + ", ".join(unknown)]
    if body.get("provider_id") and db.session.get(Provider, body["provider_id"]) is None:
        errors["provider_id"] = ["no provider with this id"]
    prerequisites = body.get("prerequisites") or []
    if prerequisites:
        own = body.get("code") or (course.code if course else None)
        if own in prerequisites:
            errors["prerequisites"] = ["a course cannot be its own prerequisite"]
        else:
            known = set(
                db.session.scalars(select(Course.code).where(Course.code.in_(prerequisites)))
            )
            unknown = [c for c in prerequisites if c not in known]
            if unknown:
                errors["prerequisites"] = ["unknown course code(s): " + ", ".join(unknown)]
    if errors:
        field = next(iter(errors))
        raise CakapError(422, f"{field}: {errors[field][0]}", errors=errors)


_NULLABLE = frozenset({"provider_id", "pre_test_id", "post_test_id", "min_attendance_percent"})


def apply_fields(course: Course, body: dict[str, Any]) -> None:
    """Copy validated fields onto the course (links replaced when given)."""
    for name in (
        "code",
        "title",
        "description",
        "form",
        "jp",
        "provider_id",
        "cost_per_participant",
        "prerequisites",
        "pre_test_id",
        "post_test_id",
        "min_attendance_percent",
    ):
        if name in body and (body[name] is not None or name in _NULLABLE):
            setattr(course, name, body[name])
    if "competencies" in body:
        course.competency_links = [
            CourseCompetency(competency_code=c["code"], level=c["level"], position=i)
            for i, c in enumerate(body["competencies"])
        ]
    if "module_ids" in body:
        course.module_links = [
            CourseModule(module_id=m, position=i) for i, m in enumerate(body["module_ids"])
        ]


def create(body: dict[str, Any]) -> Course:
    """A new draft course."""
    if db.session.scalar(select(Course.id).where(Course.code == body["code"])):
        raise CakapError(
            409, f"A course with code {body['code']} exists.", errors={"code": ["taken"]}
        )
    check_references(body)
    if body.get("form") is None:
        body["form"] = "e_learning" if body.get("module_ids") else "klasikal"
    if "min_attendance_percent" not in body and body["form"] in CLASSROOM_FORMS:
        body["min_attendance_percent"] = DEFAULT_MIN_ATTENDANCE
    course = Course(status=CourseStatus.DRAFT)
    apply_fields(course, body)
    db.session.add(course)
    db.session.commit()
    return course


def update(course_id: str, who: Principal, body: dict[str, Any]) -> Course:
    """Edit a draft freely; a published course only in EDITABLE_WHEN_PUBLISHED; archived never."""
    course = load(course_id, who, to_change=True)
    if course.status == CourseStatus.ARCHIVED:
        raise CakapError(409, "An archived course cannot be changed.")
    if course.status == CourseStatus.PUBLISHED:
        locked = sorted(set(body) - EDITABLE_WHEN_PUBLISHED)
        if locked:
            raise CakapError(
                409,
                "The course is published: only "
                + ", ".join(sorted(EDITABLE_WHEN_PUBLISHED))
                + " may change. Locked: "
                + ", ".join(locked)
                + ".",
                errors={name: ["locked once published"] for name in locked},
            )
    taken = select(Course.id).where(Course.code == body.get("code"), Course.id != course.id)
    if "code" in body and db.session.scalar(taken):
        raise CakapError(409, f"A course with code {body['code']} exists.")
    check_references(body, course)
    if "form" in body and body["form"] is None:
        del body["form"]
    apply_fields(course, body)
    db.session.commit()
    return course


def transition(course_id: str, who: Principal, action: CourseAction) -> Course:
    """publish / archive, with their events, in one transaction."""
    course = load(course_id, who, to_change=True)
    new = COURSE_TRANSITIONS.get((course.status, action))
    if new is None:
        raise CakapError(
            409,
            f"A course that is {course.status} cannot be {action}ed.",
            current_status=course.status,
        )
    course.status = new
    if new == CourseStatus.PUBLISHED:
        course.published_at = utcnow()
    events.publish(f"course.{new}", published_event(course), course.id)
    db.session.commit()
    return course


def published_event(course: Course) -> dict[str, Any]:
    """The course.published / course.archived v1 data (docs/events.md)."""
    return {
        "course_id": course.id,
        "code": course.code,
        "title": course.title,
        "module_ids": course.module_ids,
        "pre_test_id": course.pre_test_id,
        "post_test_id": course.post_test_id,
    }


def open_class_exists() -> Any:
    """EXISTS a class of the course whose enrolment window includes today."""
    today = clock.today()
    return exists().where(
        CourseClass.course_id == Course.id,
        CourseClass.enrolment_opens_on <= today,
        CourseClass.enrolment_closes_on >= today,
    )


def open_class_course_ids() -> Select[Any]:
    """Ids of courses with a class whose enrolment window includes today (uses the window index)."""
    today = clock.today()
    return select(CourseClass.course_id).where(
        CourseClass.enrolment_closes_on >= today, CourseClass.enrolment_opens_on <= today
    )


@dataclass(frozen=True)
class CourseSearch:
    """The course list query before ordering: `order` is (key, descending) pairs, ending on
    the id so pages never overlap; `gathers_all` when the database collects every match to
    order them and counting them again would cost as much (a filter that starts from a set
    of ids, or ranked text with filters on the course rows). Not for browsing, which walks
    an index in sort order and stops after a page, nor for text alone on PostgreSQL, whose
    count reads only the GIN index and the status index while the page ranks the matches.
    Ranked text alone on SQLite has `hits` instead (see search_page)."""

    stmt: Select[Any]
    order: list[tuple[ColumnElement[Any], bool]]
    gathers_all: bool
    # SQLite, ranked text with no filter: the matches read from the FTS5 index alone
    # (search.ranked_hits), ranked and counted there; `stmt` is then not run.
    hits: CTE | None = None
    # SQLite, browsing with no filter: the total without reading an index (_visible_total).
    total: Select[Any] | None = None

    def ordered(self) -> Select[Any]:
        """The query in its sort order."""
        return self.stmt.order_by(*(key.desc() if down else key for key, down in self.order))


def search_query(args: dict[str, Any], who: Principal) -> CourseSearch:
    """The course list query: visibility, full text, filters and sort."""
    check_form(args.get("form"))
    stmt = select(Course)
    privileged = who.is_admin or who.is_service
    if privileged:
        if args.get("status"):
            stmt = stmt.where(Course.status == args["status"])
    else:
        stmt = stmt.where(Course.status == CourseStatus.PUBLISHED)
    stmt = _filtered(stmt, args)
    gathers_all = any(args.get(key) for key in SET_FILTERS) or args.get("has_open_class") is True
    row_filters = any(args.get(key) is not None for key in ROW_FILTERS)
    unfiltered = not (gathers_all or row_filters or (privileged and args.get("status")))
    on_sqlite = db.engine.dialect.name == "sqlite"
    hidden = None if privileged else _hidden()
    words = search.terms(args.get("q"))
    rank = None
    code = search.code_key(args.get("q"))
    if code:
        stmt = stmt.where(search.code_matches(Course.code, code))
    elif args.get("q") is not None and args["q"].strip():
        if not words:  # only punctuation: nothing matches
            return CourseSearch(stmt.where(Course.id.is_(None)), [(Course.id, False)], False)
        stmt, rank = search.apply(stmt, words, db.engine.dialect.name)
        gathers_all = gathers_all or row_filters
    sort = args.get("sort") or ("relevance" if rank is not None else "title")
    if sort == "relevance" and rank is not None:
        order = [(rank, False), (Course.title, False), (Course.id, False)]
        if unfiltered and on_sqlite:
            hidden_rowids = None if hidden is None else _rowids(hidden)
            return CourseSearch(stmt, order, False, search.ranked_hits(words, hidden_rowids))
        return CourseSearch(stmt, order, gathers_all)
    key, down = {"jp": (Course.jp, False), "-jp": (Course.jp, True)}.get(
        sort, (Course.title, sort == "-title")
    )
    order = [(key, down), (Course.id, False)]
    if unfiltered and on_sqlite and rank is None and not code:
        return CourseSearch(stmt, order, False, total=_visible_total(hidden))
    return CourseSearch(stmt, order, gathers_all)


def search_page(args: dict[str, Any], who: Principal) -> dict[str, Any]:
    """A page of the course list (`page`, `per_page`) and how many courses match in all.

    When the database gathers every match anyway (see CourseSearch), one statement collects
    them once, counts them and orders them, returning only the page's ids; the page's
    courses are then loaded by id. A separate count would find every match a second time:
    at 100,000 courses that was as long as the page itself. Browsing walks the title index
    and stops after the page, so there the count stays a query of its own. Ranked text alone
    on SQLite ranks and counts the FTS5 index's matches without reading their courses, but
    for the titles that order equal ranks near the page (see _ranked_page).
    """
    query = search_query(args, who)
    per_page = min(args["per_page"], MAX_PER_PAGE)
    offset = (args["page"] - 1) * per_page
    if query.hits is not None:
        matches = query.hits
        page = _ranked_page(matches, offset, per_page)
    elif query.total is not None:
        items = db.session.scalars(query.ordered().limit(per_page).offset(offset)).unique()
        total = db.session.scalar(query.total)
        return {"items": list(items), "total": total, "page": args["page"], "per_page": per_page}
    elif not query.gathers_all:
        return paginate(db, query.ordered(), args["page"], per_page)
    else:
        # Every match once, in a materialized CTE: planned to be read in full (an ORDER BY
        # with a LIMIT over it let PostgreSQL walk the title index row by row, betting on
        # stopping early), then counted and ordered from memory. bm25() stays inside, where
        # SQLite allows it.
        matches = (
            query.stmt.with_only_columns(
                Course.id.label("course_id"),
                *(key.label(f"k{i}") for i, (key, _) in enumerate(query.order)),
            )
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        page = select(matches.c.course_id, _count(matches)).order_by(
            *(
                matches.c[f"k{i}"].desc() if down else matches.c[f"k{i}"]
                for i, (_, down) in enumerate(query.order)
            )
        )
    rows = db.session.execute(page.limit(per_page).offset(offset)).all()
    if rows:
        total = rows[0].total
    else:  # past the last page (or nothing matches): no row to say how many
        total = db.session.scalar(select(func.count()).select_from(matches)) if offset else 0
    return _page(args, per_page, [r.course_id for r in rows], total)


def _page(args: dict[str, Any], per_page: int, ids: list[str], total: int) -> dict[str, Any]:
    """The page of these courses, loaded by id and kept in the order of `ids`."""
    loaded = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(ids)))}
    return {
        "items": [loaded[i] for i in ids],
        "total": total,
        "page": args["page"],
        "per_page": per_page,
    }


def _count(matches: CTE) -> Label[int]:
    """The number of rows of `matches`, as the column `total` of each row of the page."""
    return select(func.count()).select_from(matches).scalar_subquery().label("total")


def _hidden() -> ColumnElement[bool]:
    """The courses learners do not see: every status but published, as two ranges of the
    status index (few rows; `!=` would read the whole index)."""
    return or_(Course.status < CourseStatus.PUBLISHED, Course.status > CourseStatus.PUBLISHED)


def _rowids(condition: ColumnElement[bool]) -> Select[Any]:
    """SQLite rowids of the courses meeting `condition`."""
    return select(literal_column("courses.rowid")).select_from(Course).where(condition)


def _visible_total(hidden: ColumnElement[bool] | None) -> Select[Any]:
    """SQLite: how many courses there are, less the `hidden` ones. A whole table's count(*)
    adds up the cells of its smallest index's pages, where counting the published courses
    read all of their 100,000 index entries."""
    everything = select(func.count()).select_from(Course).scalar_subquery()
    if hidden is None:
        return select(everything)
    return select(everything - select(func.count()).where(hidden).scalar_subquery())


def _ranked_page(hits: CTE, offset: int, per_page: int) -> Select[str, int]:
    """The page of ranked text matches (search.ranked_hits) in relevance, title, id order.

    Only matches ranked at or above the page's last one are joined to their course for the
    title that orders equal ranks: the others cannot reach the page.
    """
    leading = select(hits.c.k).order_by(hits.c.k).limit(offset + per_page).subquery()
    last_rank = select(func.max(leading.c.k)).scalar_subquery()
    return (
        select(Course.id.label("course_id"), _count(hits))
        .join_from(hits, Course, literal_column("courses.rowid") == hits.c.r)
        .where(hits.c.k <= last_rank)
        .order_by(hits.c.k, Course.title, Course.id)
    )


# Filters answered by a set of course ids from another table (or a narrow index).
SET_FILTERS = ("competency", "module_id")
# Filters tested on each course row (jp_min=0 and has_open_class=false are filters too).
ROW_FILTERS = ("form", "jp_min", "jp_max", "provider", "test_id", "has_open_class")


def _filtered(stmt: Select[Any], args: dict[str, Any]) -> Select[Any]:
    """The list's filters: form, test, provider, JP range, competency, module, open class.

    The tests on the course row come first: SQLite checks a row's conditions in the order
    written, and a set filter's probe (a course id in a list of thousands) costs more than
    a column compared on the row already read.
    """
    if args.get("form"):
        stmt = stmt.where(Course.form == args["form"])
    if args.get("test_id"):
        stmt = stmt.where(
            or_(Course.pre_test_id == args["test_id"], Course.post_test_id == args["test_id"])
        )
    if args.get("provider"):
        by_code = select(Provider.id).where(Provider.code == args["provider"]).scalar_subquery()
        stmt = stmt.where(
            or_(Course.provider_id == args["provider"], Course.provider_id == by_code)
        )
    if args.get("jp_min") is not None:
        stmt = stmt.where(Course.jp >= args["jp_min"])
    if args.get("jp_max") is not None:
        stmt = stmt.where(Course.jp <= args["jp_max"])
    if args.get("competency"):
        codes = [c.strip() for c in args["competency"].split(",") if c.strip()]
        links = select(CourseCompetency.course_id).where(
            CourseCompetency.competency_code.in_(codes)
        )
        if args.get("has_open_class") is True:
            # Courses with an open class are the smaller set (a competency is in thousands of
            # courses): SQLite starts from them and looks each one's links up by primary key.
            stmt = stmt.where(links.where(CourseCompetency.course_id == Course.id).exists())
        else:
            # IN (uncorrelated) lets both databases start from the competency_code index.
            stmt = stmt.where(Course.id.in_(links))
    if args.get("module_id"):
        stmt = stmt.where(
            Course.id.in_(
                select(CourseModule.course_id).where(CourseModule.module_id == args["module_id"])
            )
        )
    if args.get("has_open_class") is True:
        stmt = stmt.where(Course.id.in_(open_class_course_ids()))
    elif args.get("has_open_class") is False:
        stmt = stmt.where(Course.id.not_in(open_class_course_ids()))
    return stmt
