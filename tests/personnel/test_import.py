"""People import through the API: upsert by NIP, row errors, idempotency, file-level refusals."""

from __future__ import annotations

import io

import openpyxl
import pytest

HEADER = "nip,name,unit_code,position,grade,supervisor_nip"
A = "198506152010011001"
B = "199002202014022002"
C = "199304112018011003"
D = "198712012011022004"


def upload(org, text: str | bytes, name: str = "people.csv", who: str = "admin"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return org.post(
        "/api/v1/people/import",
        who=who,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def people_count(org) -> int:
    return org.get("/api/v1/people?per_page=1").get_json()["total"]


def test_valid_file_creates_then_same_file_changes_nothing(org, outbox):
    # C's supervisor B comes after C: supervisors resolve regardless of order.
    text = (
        f"{HEADER}\n"
        f"{C},Citra Dewi,OPD-A-SUB,Pranata Komputer,III/a,{B}\n"
        f"{B},Bayu Saputra,OPD-A-SUB,Kepala Seksi,III/d,{A}\n"
        f"{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,{org.nips['kadis']}\n"
    )
    first = upload(org, text)
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"created": 3, "updated": 0, "unchanged": 0, "errors": []}
    events = len(outbox())
    second = upload(org, text).get_json()
    assert second == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    assert len(outbox()) == events  # nothing changed, nothing published
    chain = org.get(
        "/api/v1/people?q=citra", who="admin"
    ).get_json()["items"][0]["id"]  # fmt: skip
    bosses = org.get(f"/api/v1/people/{chain}/supervisors").get_json()["items"]
    assert [b["name"] for b in bosses] == ["Bayu Saputra", "Ahmad Fauzi", "Kadis"]


def test_changed_rows_update_and_move_with_history(org, outbox):
    upload(org, f"{HEADER}\n{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n")
    result = upload(org, f"{HEADER}\n{A},Ahmad Fauzi,OPD-B,Kepala Bidang,IV/b,\n").get_json()
    assert result["updated"] == 1 and result["created"] == 0
    person_id = org.get("/api/v1/people?q=ahmad").get_json()["items"][0]["id"]
    record = org.get(f"/api/v1/people/{person_id}").get_json()
    assert record["grade"] == "IV/b"
    assert [h["unit_code"] for h in record["unit_history"]] == ["OPD-A", "OPD-B"]
    assert record["unit_history"][0]["to_date"] is not None
    assert outbox()[-1]["data"]["unit_code"] == "OPD-B"


def test_existing_people_are_updated_by_nip(org):
    kabid = org.nips["kabid"]
    text = f"{HEADER}\n{kabid},Kabid Baru,OPD-A-SUB,Kepala Bidang A1,IV/a,{org.nips['kadis']}\n"
    assert upload(org, text).get_json()["updated"] == 1
    assert org.get(f"/api/v1/people/{org.ids['kabid']}").get_json()["name"] == "Kabid Baru"


def test_bad_rows_are_reported_with_line_and_field_and_good_rows_kept(org):
    text = (
        f"{HEADER}\n"
        f"{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n"  # line 2 ok
        f"199002302014022002,Bad Date,OPD-A,Staf,III/a,\n"  # line 3 nip
        f"{B},Bayu,NOWHERE,Staf,III/a,\n"  # line 4 unit
        f"{C},Citra,OPD-A,Staf,Z/z,\n"  # line 5 grade
        f"{D},Dian,OPD-A,Staf,III/a,198001012005011099\n"  # line 6 unknown supervisor
    )
    result = upload(org, text).get_json()
    assert result["created"] == 1
    assert [(e["row"], e["field"]) for e in result["errors"]] == [
        (3, "nip"), (4, "unit_code"), (5, "grade"), (6, "supervisor_nip"),
    ]  # fmt: skip
    assert all(e["message"] for e in result["errors"])


def test_row_whose_supervisor_row_failed_fails_too(org):
    text = (
        f"{HEADER}\n"
        f"{A},Ahmad,NOWHERE,Kepala,IV/a,\n"  # fails: unit
        f"{B},Bayu,OPD-A,Staf,III/a,{A}\n"  # its supervisor is not imported
    )
    result = upload(org, text).get_json()
    assert result["created"] == 0
    assert [(e["row"], e["field"]) for e in result["errors"]] == [
        (2, "unit_code"), (3, "supervisor_nip"),
    ]  # fmt: skip


def test_cycles_in_the_file_and_with_the_database_are_row_errors(org):
    text = (
        f"{HEADER}\n"
        f"{A},Ahmad,OPD-A,Kepala,IV/a,{B}\n"
        f"{B},Bayu,OPD-A,Staf,III/a,{A}\n"
        # kadis (in the database) would report to staff, who is below kadis: loop.
        f"{org.nips['kadis']},Kadis,OPD-A,Kepala Dinas A,IV/c,{org.nips['staff']}\n"
        f"{C},Citra,OPD-A,Staf,III/a,{org.nips['kadis']}\n"
    )
    result = upload(org, text).get_json()
    assert result["created"] == 1  # Citra
    fields = {(e["row"], e["field"]) for e in result["errors"]}
    assert fields == {(2, "supervisor_nip"), (3, "supervisor_nip"), (4, "supervisor_nip")}
    assert "loop" in result["errors"][0]["message"]


def test_xlsx_import(org):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER.split(","))
    workbook.active.append([A, "Ahmad Fauzi", "OPD-A", "Kepala Bidang", "IV/a", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = upload(org, buffer.getvalue(), name="people.xlsx")
    assert result.get_json()["created"] == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"%PDF-1.4 not a csv\x00\x01", 415),
        ("name,unit\nAhmad,OPD-A\n", 422),  # wrong headers
        ("", 422),  # empty
        (f"{HEADER}\n", 422),  # header only
        (b"PK\x03\x04broken zip", 415),
    ],
)
def test_bad_files_are_4xx_and_keep_nothing(org, data, status):
    before = people_count(org)
    response = upload(org, data)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"]
    assert people_count(org) == before


@pytest.mark.security
def test_file_over_the_row_limit_is_413_and_keeps_nothing(app, org):
    app.config["IMPORT_MAX_ROWS"] = 2
    try:
        rows = "".join(f"{nip},P,OPD-A,Staf,III/a,\n" for nip in (A, B, C))
        response = upload(org, f"{HEADER}\n{rows}")
    finally:
        app.config["IMPORT_MAX_ROWS"] = 100_000
    assert response.status_code == 413
    assert people_count(org) == 7


def test_missing_file_is_422(org):
    response = org.post("/api/v1/people/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.get_json()["errors"]


@pytest.mark.parametrize("who", ["kadis", "staff", "trainer", "service"])
def test_only_admin_imports(org, who):
    assert upload(org, f"{HEADER}\n{A},Ahmad,OPD-A,Kepala,IV/a,\n", who=who).status_code == 403
    assert people_count(org) == 7


def test_export_reimports_unchanged(org):
    exported = org.get("/api/v1/people/export?format=xlsx").get_data()
    result = upload(org, exported, name="export.xlsx").get_json()
    assert result == {"created": 0, "updated": 0, "unchanged": 5, "errors": []}


def test_import_with_idempotency_key_replays_the_first_answer(org):
    text = f"{HEADER}\n{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n"
    # The same bytes twice, as a client retrying would send (a fixed multipart boundary).
    body = (
        "--b0und4ry\r\n"
        'Content-Disposition: form-data; name="file"; filename="p.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        f"{text}\r\n--b0und4ry--\r\n"
    ).encode()

    def send():
        return org.client.post(
            "/api/v1/people/import",
            headers={**org.headers("admin"), "Idempotency-Key": "imp-1"},
            data=body,
            content_type="multipart/form-data; boundary=b0und4ry",
        )

    first, again = send(), send()
    assert first.get_json()["created"] == 1, first.get_json()
    assert again.get_json()["created"] == 1 and again.headers.get("Idempotent-Replayed") == "true"
    assert people_count(org) == 8
