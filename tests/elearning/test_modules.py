"""Uploading modules through the API: kinds, SCOs, refusals, limits, versions, listing."""

from __future__ import annotations

import io
import zipfile

import pytest
from elearning_service.scorm.manifest import launchable_items
from elearning_service.scorm.package import load_scorm_zip

MOODLE = "moodle_scorm_test_packages_via_mod_exescorm"
# Folders that are whole packages (files present), zipped at test time.
FULL_PACKAGES = [
    ("scorm12_golf_multisco_full_package", "scorm12"),
    ("scorm12_with_external_metadata", "scorm12"),
    ("scorm12_edgecases_synthetic/LaunchUrlFromNestedItem_SCORM12", "scorm12"),
    ("scorm12_edgecases_synthetic/MultipleItemsWithIdentifierRef_SCORM12", "scorm12"),
    ("scorm12_edgecases_synthetic/PrerequisitesTest_SCORM12", "scorm12"),
    ("scorm2004_2nd_golf_singlesco_full_package", "scorm2004"),
    ("scorm2004_3rd_golf_sequencing_remediation_full_package", "scorm2004"),
]
VALID_ZIPS = [
    (f"{MOODLE}/RuntimeMinimumCalls_SCORM12-mini.zip", "scorm12"),
    (f"{MOODLE}/complexscorm.zip", "scorm12"),
    ("zipped_packages_golf/scorm12.zip", "scorm12"),
    ("zipped_packages_golf/scorm2004.zip", "scorm2004"),
]
REFUSED_ZIPS = [
    (f"{MOODLE}/badscorm.zip", "found badscorm/imsmanifest.xml"),
    (f"{MOODLE}/invalid.zip", "imsmanifest.xml is missing at the root of the package"),
    (f"{MOODLE}/validaicc.zip", "AICC is not supported"),
    (f"{MOODLE}/validscorm.zip", "not well-formed XML"),
    (f"{MOODLE}/singlescobasic_missingorg.zip", "no <organization>"),
]


def nothing_stored(content_root) -> bool:
    return list(content_root.iterdir()) == []


def expected_scos(data: bytes) -> list[dict[str, str]]:
    manifest = load_scorm_zip(io.BytesIO(data))
    return [
        {"identifier": s.identifier, "title": s.title, "href": s.href, "scorm_type": s.scorm_type}
        for s in launchable_items(manifest)
    ]


def check_upload(client, upload, as_user, data: bytes, kind: str) -> dict:
    created = upload(data, "paket.bin")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["kind"] == kind
    assert body["scos"] == expected_scos(data)
    fetched = client.get(f"/api/v1/modules/{body['id']}", headers=as_user("learner")).get_json()
    assert fetched["scos"] == body["scos"]
    assert fetched["launch_url"] == f"/api/v1/modules/{body['id']}/attempts"
    return body


@pytest.mark.fixtures
@pytest.mark.parametrize(
    ("folder", "kind"), FULL_PACKAGES, ids=[f[0].split("/")[-1] for f in FULL_PACKAGES]
)
def test_every_full_fixture_package_uploads(
    client, upload, as_user, shared_fixtures, zipper, folder, kind
):
    check_upload(client, upload, as_user, zipper(shared_fixtures / folder), kind)


@pytest.mark.fixtures
@pytest.mark.parametrize(("rel", "kind"), VALID_ZIPS, ids=[z[0].split("/")[-1] for z in VALID_ZIPS])
def test_every_valid_fixture_zip_uploads(client, upload, as_user, shared_fixtures, rel, kind):
    check_upload(client, upload, as_user, (shared_fixtures / rel).read_bytes(), kind)


@pytest.mark.fixtures
def test_golf_hrefs_and_parameters(client, upload, as_user, shared_fixtures, zipper):
    body = upload(zipper(shared_fixtures / "scorm12_golf_multisco_full_package")).get_json()
    first, quiz = body["scos"][0], body["scos"][5]
    assert (first["identifier"], first["href"]) == ("playing_playing_item", "Playing/Playing.html")
    assert quiz["href"] == "shared/assessmenttemplate.html?questions=Playing"
    assert body["title"] == "Golf Explained - CP One File Per SCO"


@pytest.mark.fixtures
@pytest.mark.parametrize(
    ("rel", "reason"), REFUSED_ZIPS, ids=[z[0].split("/")[-1] for z in REFUSED_ZIPS]
)
def test_malformed_fixture_zips_refused_with_reason(
    client, upload, shared_fixtures, content_root, rel, reason
):
    refused = upload((shared_fixtures / rel).read_bytes(), "paket.zip")
    assert refused.status_code == 422
    assert reason in refused.get_json()["detail"]
    assert refused.get_json()["errors"]["file"]
    assert nothing_stored(content_root)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def _sample_entries(sample_zip: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(sample_zip)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_missing_launch_file_and_zip_slip_refused(client, upload, sample_zip, content_root):
    entries = _sample_entries(sample_zip)
    del entries["bab2/index.html"]
    refused = upload(_zip(entries))
    assert refused.status_code == 422
    assert refused.get_json()["detail"] == "bab2/index.html is referenced but not in the package"
    slip = upload(_zip({**_sample_entries(sample_zip), "../../evil.html": b"x"}))
    assert slip.status_code == 422
    assert "'..'" in slip.get_json()["detail"]
    xxe = upload(_zip({**_sample_entries(sample_zip), "imsmanifest.xml": (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<manifest>&x;</manifest>")}))  # fmt: skip
    assert xxe.status_code == 422
    assert "DTD" in xxe.get_json()["detail"]
    assert nothing_stored(content_root)


def test_over_the_size_limit_is_413_and_leaves_nothing(client, upload, content_root):
    big = b"%PDF-1.4\n" + b"0" * (9 * 1024 * 1024)
    refused = upload(big, "besar.pdf")
    assert refused.status_code == 413
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert nothing_stored(content_root)


def test_kind_is_detected_from_content_not_name(client, upload, sample_zip):
    assert upload(sample_zip, "materi.pdf").get_json()["kind"] == "scorm12"
    pdf = upload(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "x.pdf").get_json()
    assert pdf["kind"] == "pdf"
    assert "scos" not in pdf
    mp4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(64)
    assert upload(mp4, "film.bin").get_json()["kind"] == "video"
    refused = upload(b"\x89PNG\r\n\x1a\n" + bytes(40), "gambar.png")
    assert refused.status_code == 422


PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.mark.parametrize(
    ("data", "name", "declared"),
    [
        (PDF_BYTES, "kursus.zip", None),  # a PDF named .zip
        (b"# Judul\n\nTeks biasa.\n", "kursus.ZIP", None),  # a text page named .zip
        (b"# Judul\n\nTeks biasa.\n", "kursus.md", "application/zip"),  # declared a zip
        (b"PK\x03\x04" + bytes(60), "kursus.bin", "application/x-zip-compressed"),  # broken
    ],
    ids=["pdf-named-zip", "text-named-zip", "text-declared-zip", "broken-zip"],
)
def test_a_file_that_says_zip_but_is_not_one_is_refused(
    client, as_user, content_root, data, name, declared
):
    file = (io.BytesIO(data), name, declared) if declared else (io.BytesIO(data), name)
    refused = client.post(
        "/api/v1/modules",
        data={"file": file},
        content_type="multipart/form-data",
        headers=as_user("trainer"),
    )
    assert refused.status_code == 422
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "not a valid zip" in refused.get_json()["detail"]
    assert nothing_stored(content_root)


def test_markdown_page_is_rendered_without_raw_html(client, upload, as_user, content_root):
    text = (
        "# Judul Halaman\n\nTeks **tebal**.\n\n<script>alert(1)</script>\n\n"
        "[x](javascript:alert(2))\n<img src=x onerror=alert(3)>\n"
    )
    created = upload(text.encode(), "halaman.md")
    body = created.get_json()
    assert (created.status_code, body["kind"], body["title"]) == (201, "page", "Judul Halaman")
    html = next(content_root.glob(f"{body['id']}-v1/index.html")).read_text()
    assert "<strong>tebal</strong>" in html
    assert "<script>" not in html and "onerror" not in html and "javascript:" not in html


@pytest.mark.parametrize(
    ("tail", "reason"),
    [(b"\xff\xfe broken", "not valid UTF-8"), (b"a\x00b", "NUL characters")],
)
def test_text_page_with_bad_bytes_after_the_first_mib_is_422(
    client, upload, as_user, content_root, tail, reason
):
    """Only the first MiB is sniffed; a bad byte further on is still refused, never a 500."""
    text = b"# Halaman panjang\n\n" + b"Teks yang cukup panjang.\n" * 50_000
    assert len(text) > 1024 * 1024
    refused = upload(text + tail, "panjang.md")
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert reason in refused.get_json()["detail"]
    assert list(content_root.iterdir()) == []
    assert client.get("/api/v1/modules", headers=as_user("admin")).get_json()["total"] == 0


def test_only_trainers_and_admins_upload_and_list(client, upload, as_user, sample_zip):
    assert upload(sample_zip, who="learner").status_code == 403
    mine = upload(sample_zip).get_json()
    theirs = upload(sample_zip, who="trainer2").get_json()
    listed = client.get("/api/v1/modules", headers=as_user("trainer")).get_json()
    assert [m["id"] for m in listed["items"]] == [mine["id"]]
    assert listed["total"] == 1
    everything = client.get("/api/v1/modules", headers=as_user("admin")).get_json()
    assert {m["id"] for m in everything["items"]} == {mine["id"], theirs["id"]}
    assert client.get("/api/v1/modules", headers=as_user("learner")).status_code == 403
    assert client.get("/api/v1/modules/nope", headers=as_user("admin")).status_code == 404


def test_new_version_by_owner_only_and_same_family(client, upload, sample_zip):
    module = upload(sample_zip).get_json()
    assert upload(sample_zip, who="trainer2", module_id=module["id"]).status_code == 403
    wrong = upload(b"%PDF-1.4\n", "x.pdf", module_id=module["id"])
    assert wrong.status_code == 422
    again = upload(sample_zip, module_id=module["id"])
    assert (again.status_code, again.get_json()["version"]) == (201, 2)
