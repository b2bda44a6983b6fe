"""The access line: the shape of every JSON log line, written without the logging stack."""

from __future__ import annotations

import json
import logging
import re

from cakap_shared.logs import AccessLog, JsonFormatter, timestamp

NOW = 1_764_493_200.123  # 2025-11-30T09:00:00.123+00:00


def _formatter_line(service: str, *args, request_id: str, fields: dict) -> dict:
    """The line JsonFormatter gives a record like the access line, made at NOW."""
    record = logging.LogRecord("cakap.access", logging.INFO, "", 0, "%s %s %s", args, None)
    record.created, record.request_id, record.fields = NOW, request_id, fields
    return json.loads(JsonFormatter(service).format(record))


def _access_lines(capfd, service: str, *args, **kwargs) -> list[dict]:
    capfd.readouterr()
    AccessLog(service).write(*args, **kwargs)
    return [json.loads(line) for line in capfd.readouterr().err.splitlines()]


def test_access_line_is_the_formatters_line_for_the_same_request(capfd, monkeypatch):
    monkeypatch.setattr("cakap_shared.logs.time.time", lambda: NOW)
    (line,) = _access_lines(capfd, "catalog", "GET", "/api/v1/courses", 200, 1.25, "abc-1")
    fields = {"method": "GET", "path": "/api/v1/courses", "status": 200, "ms": 1.25}
    expected = _formatter_line(
        "catalog", "GET", "/api/v1/courses", 200, request_id="abc-1", fields=fields
    )
    assert line == expected
    assert list(line) == list(expected)  # the same order of keys, for people reading logs


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
