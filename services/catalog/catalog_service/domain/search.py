"""Full-text search over course titles and descriptions, one interface for both databases.

SQLite: the FTS5 table `courses_fts` (external content over `courses`, kept in sync by
triggers from the migration), ranked by bm25 with the title weighted 10:1.
PostgreSQL: the generated `courses.search_vector` (GIN index, 'simple' config because the
content is Indonesian and PostgreSQL has no Indonesian stemmer), ranked by ts_rank_cd.
Every word of the query must match, as a prefix ("keaman" finds "keamanan").
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, column, func, literal_column, select, table, text

MAX_TERMS = 12
_FTS = table("courses_fts", column("rowid"))
# bm25 is lower for better matches (ascending order is best first); a title word weighs 10.
_BM25 = "bm25(courses_fts, 10.0, 1.0)"
_WORD = re.compile(r"\w+", re.UNICODE)


def terms(query: str | None) -> list[str]:
    """The words of a query, lower-cased: only word characters reach the index syntax."""
    return [w.lower() for w in _WORD.findall(query or "")][:MAX_TERMS]


_COURSE_CODE = re.compile(r"([A-Za-z]{2,10})[\s_-]?(\d{1,6})")


def code_key(query: str | None) -> str | None:
    """A query that is a course code (TIK-220, tik 220, TIK220) as letters+digits, lower-cased.

    Codes are not in the full-text index: a person who types one wants that course.
    """
    found = _COURSE_CODE.fullmatch((query or "").strip())
    return f"{found[1]}{found[2]}".lower() if found else None


def code_matches(code_column: Any, key: str) -> ColumnElement:
    """`code_column` equals the code key, ignoring case, hyphens, underscores and spaces."""
    bare = func.lower(code_column)
    for separator in ("-", "_", " "):
        bare = func.replace(bare, separator, "")
    return bare == key


def apply(stmt: Select[Any], words: list[str], dialect: str) -> tuple[Select[Any], ColumnElement]:
    """Restrict `stmt` (over courses) to matches; returns it and an ascending rank expression."""
    if dialect == "sqlite":
        stmt = stmt.join(_FTS, _FTS.c.rowid == literal_column("courses.rowid"))
        return stmt.where(_matching(words)), literal_column(_BM25)
    if dialect == "postgresql":
        query = func.to_tsquery("simple", " & ".join(f"{w}:*" for w in words))
        vector = literal_column("courses.search_vector")
        stmt = stmt.where(vector.op("@@")(query))
        return stmt, -func.ts_rank_cd(vector, query)
    raise NotImplementedError(f"no full-text search for {dialect}")


def ranked_hits(words: list[str], hidden: Select[Any] | None) -> CTE:
    """SQLite, text alone: every match's rowid (`r`) and bm25 (`k`), read from the FTS5
    index only, minus the `hidden` rowids (courses the caller may not see).

    Joining each match to its course row only to test its status cost a row lookup per
    match: the hidden courses (drafts, archived ones) are few and read from the status
    index once, as a set the matches are checked against.
    """
    hits = select(_FTS.c.rowid.label("r"), literal_column(_BM25).label("k"))
    hits = hits.where(_matching(words))
    if hidden is not None:
        hits = hits.where(_FTS.c.rowid.not_in(hidden))
    return hits.cte("hits").prefix_with("MATERIALIZED")


def _matching(words: list[str]) -> Any:
    """The FTS5 condition: every word, as a prefix."""
    match = " ".join(f'"{w}"*' for w in words)
    return text("courses_fts MATCH :fts_query").bindparams(fts_query=match)


REBUILD = {
    # After a VACUUM SQLite may renumber the rowids the FTS5 table points at.
    "sqlite": "INSERT INTO courses_fts(courses_fts) VALUES ('rebuild')",
    "postgresql": "REINDEX INDEX ix_courses_search_vector",
}


def modelled(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's `include_object`: the search index (FTS5 tables, the tsvector column and its
    index) is not in the models but in a hand-written migration, so autogenerate skips it."""
    if type_ == "table" and (name or "").startswith("courses_fts"):
        return False
    if type_ == "column" and name == "search_vector":
        return False
    return not (type_ == "index" and name == "ix_courses_search_vector")
