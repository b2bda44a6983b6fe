"""The access line: the shape of every JSON log line, written without the logging stack."""

from __future__ import annotations

import io
import json
import logging
import re

from cakap_shared.logs import AccessLog, JsonFormatter, timestamp


def _formatter_line(service: str) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service))
    logger = logging.getLogger("cakap.test-shape")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("x", extra={"request_id": "r-1", "fields": {"status": 200}})
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return json.loads(stream.getvalue())


def _access_lines(capfd, service: str, *args, **kwargs) -> list[dict]:
    capfd.readouterr()
    AccessLog(service).write(*args, **kwargs)
    return [json.loads(line) for line in capfd.readouterr().err.splitlines()]


def test_access_line_has_the_formatters_fields_and_its_own(capfd):
    (line,) = _access_lines(capfd, "catalog", "GET", "/api/v1/courses", 200, 1.25, "abc-1")
    common = set(_formatter_line("catalog")) - {"status"}
    assert common <= set(line)
    assert line["service"] == "catalog" and line["logger"] == "cakap.access"
    assert line["level"] == "info" and line["message"] == "GET /api/v1/courses 200"
    assert (line["method"], line["path"], line["status"], line["ms"]) == (
        "GET",
        "/api/v1/courses",
        200,
        1.25,
    )
    assert line["request_id"] == "abc-1" and "upstream" not in line


def test_what_a_client_controls_is_escaped(capfd):
    path = '/api/v1/courses/"}, "level": "error\n\u00e9'
    (line,) = _access_lines(capfd, "gateway", "GET", path, 404, 0.5, "r", upstream="catalog")
    assert line["path"] == path and line["level"] == "info"
    assert line["upstream"] == "catalog"


def test_timestamps_are_iso_utc_to_the_millisecond():
    assert timestamp(1_764_493_200.123) == "2025-11-30T09:00:00.123+00:00"
    assert timestamp(1_764_493_201.5) == "2025-11-30T09:00:01.500+00:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", timestamp(0.0))


def test_log_level_above_info_turns_it_off():
    logger = logging.getLogger("cakap.access")
    before = logger.level
    try:
        logger.setLevel("WARNING")
        assert not AccessLog("x").enabled
        logger.setLevel("INFO")
        assert AccessLog("x").enabled
    finally:
        logger.setLevel(before)
