"""The one CSV/XLSX writer escapes spreadsheet formulas and keeps data as data."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from cakap_shared.tabular import csv_response, csv_text, safe_cell, xlsx_bytes
from flask import Flask

pytestmark = [pytest.mark.security, pytest.mark.database_free]

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_writes_formula_like_text_as_text(text: str) -> None:
    rows = list(csv.reader(io.StringIO(csv_text(["name"], [[text]]).lstrip("\ufeff"))))
    assert rows[1] == ["'" + text]


def test_csv_keeps_numbers_lists_and_plain_text() -> None:
    body = csv_text(["a", "b", "c", "d"], [[-3, 2.5, ["x", "y"], "Nyimas Ayu"], [None, 0, [], ""]])
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows == [["a", "b", "c", "d"], ["-3", "2.5", "x;y", "Nyimas Ayu"], ["", "0", "", ""]]


def test_xlsx_stores_text_as_string_cells_and_numbers_as_numbers() -> None:
    data = xlsx_bytes(["nama", "nilai", "nip"], [[HOSTILE[0], -4, "199507212019022002"]], "Lap")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Lap"]
    name, score, nip = sheet[2]
    assert (name.value, name.data_type) == (HOSTILE[0], "s")
    assert (score.value, score.data_type) == (-4, "n")
    assert (nip.value, nip.data_type) == ("199507212019022002", "s")


def test_safe_cell_escapes_text_and_leaves_numbers() -> None:
    assert safe_cell("=x") == "'=x" and safe_cell(-1) == -1 and safe_cell(None) == ""


def test_csv_response_is_a_named_download() -> None:
    with Flask(__name__).test_request_context():
        response = csv_response("laporan.csv", ["a"], [["=1"]])
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="laporan.csv"'
    assert "'=1" in response.get_data(as_text=True)
