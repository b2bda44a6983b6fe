"""The one writer for every CSV and XLSX file the suite hands out.

Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` (and, in some,
tab or carriage return) as a formula, so a learner named `=HYPERLINK(...)` would run code
in the clerk's Excel. Every text cell that starts so is written with a leading apostrophe
in CSV (shown as text, the OWASP advice); XLSX stores every text as a string-typed
cell, which no spreadsheet evaluates, so there the text is kept exactly.
Numbers stay numbers: a negative score is data, not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Row = Sequence[Any]


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should store it: text that looks like a formula is escaped."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = ";".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Row]) -> str:
    """Comma-separated text, header first, UTF-8 BOM so Excel reads names right."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def xlsx_bytes(header: Sequence[str], rows: Iterable[Row], sheet: str = "Data") -> bytes:
    """A one-sheet workbook; text cells are stored as strings, never as formulas."""
    from openpyxl import Workbook  # imported here: CSV-only services do not pay for it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])

    def cell(value: Any) -> Any:  # a WriteOnlyCell (a factory function in openpyxl's types)
        if value is None or isinstance(value, list | tuple):
            value = safe_cell(value)
        if not isinstance(value, int | float):
            # A string-typed cell is never evaluated, so the text is kept exactly as it is.
            written = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
            written.data_type = "s"
            return written
        return WriteOnlyCell(worksheet, value=value)

    worksheet.append([cell(name) for name in header])
    for row in rows:
        worksheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _attachment(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Row]) -> Response:
    """A CSV download named `filename`."""
    return _attachment(csv_text(header, rows), CSV_MIMETYPE, filename)


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Row], sheet: str = "Data"
) -> Response:
    """An XLSX download named `filename`."""
    return _attachment(xlsx_bytes(header, rows, sheet), XLSX_MIMETYPE, filename)
