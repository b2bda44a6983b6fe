"""Request and response shapes of the evaluation API (marshmallow 4)."""

from __future__ import annotations

import marshmallow as ma

F = ma.fields
V = ma.validate


# --- questions and banks -------------------------------------------------------


# --- assessments -----------------------------------------------------------------


# --- attempts --------------------------------------------------------------------


# --- certificates ----------------------------------------------------------------


# --- surveys -----------------------------------------------------------------------


# --- impact evaluations ----------------------------------------------------------------


# --- reports ------------------------------------------------------------------------


class ReportArgsSchema(ma.Schema):
    """Report filters and output format."""

    group_by = F.String(
        load_default="course", validate=V.OneOf(["course", "class", "unit", "trainer"])
    )
    course_code = F.String()
    class_id = F.String()
    format = F.String(load_default="json", validate=V.OneOf(["json", "csv"]))


class GainArgsSchema(ma.Schema):
    """Which pre/post pair: a course code, a class, or explicit assessment ids."""

    course_code = F.String()
    class_id = F.String()
    pre_test_id = F.String()
    post_test_id = F.String()
    format = F.String(load_default="json", validate=V.OneOf(["json", "csv"]))


class YearArgsSchema(ma.Schema):
    """A calendar year (default: this year)."""

    year = F.Integer(load_default=None, validate=V.Range(min=2000, max=2100))
