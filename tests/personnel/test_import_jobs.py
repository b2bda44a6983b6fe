"""Background people imports: a job to poll, its progress, counts, row errors and error file."""

from __future__ import annotations

import io
import time

import openpyxl

HEADER = "nip,name,unit_code,position,grade,supervisor_nip"
A = "198506152010011001"
B = "199002202014022002"


def start(org, text: str, who: str = "admin"):
    return org.post(
        "/api/v1/people/import-jobs",
        who=who,
        data={"file": (io.BytesIO(text.encode()), "pegawai.csv")},
        content_type="multipart/form-data",
    )


def finished(org, job_id: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = org.get(f"/api/v1/people/import-jobs/{job_id}").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job['status']}")


def test_job_imports_good_rows_and_reports_the_bad_row_by_line(org):
    text = (
        f"{HEADER}\n"
        f"{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n"
        f"{B},Bayu Saputra,NO-SUCH-UNIT,Kepala Seksi,III/d,{A}\n"
    )
    response = start(org, text)
    assert response.status_code == 202, response.get_json()
    job = finished(org, response.get_json()["id"])
    assert job["status"] == "done" and job["filename"] == "pegawai.csv"
    assert (job["created"], job["updated"], job["unchanged"]) == (1, 0, 0)
    assert job["rows_done"] == job["rows_total"] == 1
    assert job["errors"] == [
        {"row": 3, "field": "unit_code", "message": "there is no unit NO-SUCH-UNIT in Cakap"}
    ]
    assert org.get("/api/v1/people?q=ahmad").get_json()["total"] == 1

    csv_file = org.get(f"/api/v1/people/import-jobs/{job['id']}/errors?format=csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    assert csv_file.get_data(as_text=True).lstrip("\ufeff").splitlines() == [
        "row,field,message",
        "3,unit_code,there is no unit NO-SUCH-UNIT in Cakap",
    ]
    xlsx = org.get(f"/api/v1/people/import-jobs/{job['id']}/errors?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[2]] == [3, "unit_code", "there is no unit NO-SUCH-UNIT in Cakap"]


def test_unreadable_file_fails_the_job_with_the_reason(org):
    job = finished(org, start(org, "just,some,columns\n1,2,3\n").get_json()["id"])
    assert job["status"] == "failed" and job["detail"]
    assert job["created"] == 0


def test_only_admins_start_or_read_jobs(org):
    assert start(org, f"{HEADER}\n", who="kadis").status_code == 403
    job_id = start(org, f"{HEADER}\n{A},Ahmad Fauzi,OPD-A,Kepala Bidang,IV/a,\n").get_json()["id"]
    finished(org, job_id)
    assert org.get(f"/api/v1/people/import-jobs/{job_id}", who="kadis").status_code == 403
    assert org.get("/api/v1/people/import-jobs/nope").status_code == 404
