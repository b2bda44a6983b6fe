"""Upload detection and safe unpacking, including a hostile zip corpus."""

from __future__ import annotations

import importlib.util
import io
import os
import time
from pathlib import Path

import pytest
from elearning_service.scorm.package import (
    DetectedKind,
    ExtractLimits,
    PackageError,
    check_entry_name,
    extract_package,
    import_scorm_zip,
    inspect_upload,
    load_scorm_zip,
)

_spec = importlib.util.spec_from_file_location(
    "elearning_hostile", Path(__file__).with_name("hostile.py")
)
assert _spec and _spec.loader
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)

MiB = 1024 * 1024


@pytest.fixture
def work(tmp_path: Path) -> tuple[Path, Path]:
    """A folder for the uploaded zip and a separate parent for the destination."""
    uploads = tmp_path / "uploads"
    content = tmp_path / "content"
    uploads.mkdir()
    content.mkdir()
    return uploads, content


def assert_nothing_left(content: Path) -> None:
    """A refused upload leaves the content root exactly as empty as it was."""
    assert list(content.iterdir()) == []


# ---------------------------------------------------------------- detection


def test_detects_scorm12_from_zip_content_not_name(work):
    uploads, _ = work
    path = hostile.sample_zip(uploads / "materi.pdf")  # the name lies; the bytes decide
    assert inspect_upload(path) is DetectedKind.SCORM12


def test_detects_from_a_file_object_and_keeps_its_position(work):
    uploads, _ = work
    data = hostile.sample_zip(uploads / "x.zip").read_bytes()
    fh = io.BytesIO(data)
    assert inspect_upload(fh) is DetectedKind.SCORM12
    assert fh.tell() == 0


def test_detects_scorm2004_by_namespaces_without_schemaversion(work):
    uploads, _ = work
    manifest = (hostile.SAMPLE_SCORM12 / "imsmanifest.xml").read_text()
    manifest = manifest.replace("<schemaversion>1.2</schemaversion>", "").replace(
        "http://www.adlnet.org/xsd/adlcp_rootv1p2", "http://www.adlnet.org/xsd/adlcp_v1p3"
    )
    path = hostile.sample_zip(uploads / "a.zip", extra={"imsmanifest.xml": manifest.encode()})
    assert inspect_upload(path) is DetectedKind.SCORM2004


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", DetectedKind.PDF),
        (
            b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(64),
            DetectedKind.VIDEO,
        ),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64), DetectedKind.VIDEO),
        (
            "# Pengantar\n\nSelamat datang di pelatihan *Manajemen ASN* — bagian 1.\n".encode(),
            DetectedKind.PAGE,
        ),
    ],
)
def test_detects_pdf_video_and_page(work, head, kind):
    uploads, _ = work
    path = uploads / "upload.bin"
    path.write_bytes(head)
    assert inspect_upload(path) is kind


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(16), "video container"),
        (b"\x89PNG\r\n\x1a\n" + bytes(32), "unsupported file"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(32), "unsupported file"),
        (b"", "unsupported file"),
        (b"PK\x03\x04 this is not really a zip", "not a valid zip"),
    ],
)
def test_refuses_what_cannot_be_played(work, head, reason):
    uploads, _ = work
    path = uploads / "upload.zip"
    path.write_bytes(head)
    with pytest.raises(PackageError, match=reason):
        inspect_upload(path)


def test_refuses_zip_without_manifest(work):
    uploads, _ = work
    path = hostile.sample_zip(uploads / "a.zip", drop=("imsmanifest.xml",))
    with pytest.raises(
        PackageError, match=r"^imsmanifest.xml is missing at the root of the package$"
    ):
        inspect_upload(path)


def test_refuses_manifest_in_a_subfolder_with_a_hint(work):
    uploads, _ = work
    entries = {f"kursus/{k}": v for k, v in hostile.sample_entries().items()}
    path = hostile.write_zip(uploads / "a.zip", entries)
    with pytest.raises(PackageError, match=r"found kursus/imsmanifest\.xml"):
        inspect_upload(path)


@pytest.mark.parametrize("name", ["tincan.xml", "cmi5.xml"])
def test_refuses_xapi_and_cmi5_clearly(work, name):
    uploads, _ = work
    path = hostile.write_zip(uploads / "a.zip", {name: b"<courseStructure/>", "index.html": b"x"})
    with pytest.raises(PackageError) as err:
        inspect_upload(path)
    assert err.value.detail == (
        f"not a SCORM package: {name} found; xAPI/cmi5 packages are not supported"
    )


# ---------------------------------------------------------------- extraction: good


def test_extracts_sample_package(work):
    uploads, content = work
    path = hostile.sample_zip(
        uploads / "a.zip", extra={"__MACOSX/._x": b"fork", "bab1/.DS_Store": b"x"}
    )
    dest = content / "m1"
    written = extract_package(path, dest)
    assert sorted(written) == sorted(hostile.sample_entries())
    assert (dest / "bab2" / "index.html").read_bytes() == (
        hostile.SAMPLE_SCORM12 / "bab2" / "index.html"
    ).read_bytes()
    assert not (dest / "__MACOSX").exists()
    assert not (dest / "bab1" / ".DS_Store").exists()
    assert [p.name for p in content.iterdir()] == ["m1"]  # no temp folder left


def test_import_returns_manifest_and_refuses_existing_destination(work):
    uploads, content = work
    path = hostile.sample_zip(uploads / "a.zip")
    manifest = import_scorm_zip(path, content / "m1")
    assert manifest.title == "Etika dan Integritas ASN"
    with pytest.raises(FileExistsError):
        extract_package(path, content / "m1")


# ---------------------------------------------------------------- extraction: hostile


def _sample_plus(name: str):
    """A builder: the sample package plus one entry with a hostile name."""
    return lambda p: hostile.sample_zip(p, extra={name: b"<script>pwned()</script>"})


HOSTILE = [
    ("zip slip", _sample_plus("../../evil.html"), "tries to leave the package folder"),
    ("zip slip inside", _sample_plus("bab1/../../evil.html"), "tries to leave the package folder"),
    ("absolute path", _sample_plus("/tmp/evil.html"), "has an absolute path"),
    ("drive letter", _sample_plus("C:/Windows/evil.html"), "has an absolute path"),
    ("backslash path", _sample_plus("..\\..\\evil.html"), "uses backslashes"),
    ("newline in name", _sample_plus("bab1/evil\n.html"), "control characters"),
    (
        "duplicate entry",
        lambda p: hostile.write_zip(
            p, [*hostile.sample_entries().items(), ("bab1/index.html", b"second")]
        ),
        "appears twice",
    ),
    ("symlink entry", hostile.symlink_zip, "symbolic link"),
    ("encrypted", hostile.encrypted_flag_zip, "password-protected"),
    ("entry count", lambda p: hostile.many_entries_zip(p, 5000), "at most 5000 are allowed"),
    ("lying header", hostile.lying_size_zip, "damaged"),
    (
        "missing manifest",
        lambda p: hostile.sample_zip(p, drop=("imsmanifest.xml",)),
        "missing at the root",
    ),
]


@pytest.mark.security
@pytest.mark.parametrize(("case", "build", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_zip_is_refused_and_leaves_nothing(work, case, build, reason):
    uploads, content = work
    path = build(uploads / "hostile.zip")
    with pytest.raises(PackageError, match=reason):
        extract_package(path, content / "m1")
    assert_nothing_left(content)
    assert [p.name for p in uploads.iterdir()] == ["hostile.zip"]
    assert not (uploads.parent / "evil.html").exists()


def test_not_a_zip_is_refused(work):
    uploads, content = work
    path = uploads / "a.zip"
    path.write_bytes(b"%PDF-1.4 not a zip")
    with pytest.raises(PackageError, match="not a valid zip"):
        extract_package(path, content / "m1")
    assert_nothing_left(content)


# NUL cannot reach extraction through the stdlib (ZipInfo cuts names at NUL), so it is
# checked here directly.
@pytest.mark.parametrize(
    "name", ["bab1/evil\x00.html", "/etc/passwd", "C:\\x", "a/../../b", "a\\b", "a\x01b", ""]
)
def test_check_entry_name_refuses(name):
    with pytest.raises(PackageError):
        check_entry_name(name)


@pytest.mark.parametrize(
    "name", ["bab1/index.html", "a/b/c.js", "berkas dengan spasi.pdf", "é/ü.html", "a..b/c"]
)
def test_check_entry_name_accepts(name):
    check_entry_name(name)


@pytest.fixture(scope="module")
def gib_bomb(tmp_path_factory) -> Path:
    """1 GiB of zeros in one entry, built once per module (about 1 MB on disk)."""
    return hostile.zero_bomb(tmp_path_factory.mktemp("bomb") / "bomb.zip")


@pytest.mark.security
def test_gib_bomb_is_small_on_disk(gib_bomb):
    assert gib_bomb.stat().st_size < 3 * MiB


@pytest.mark.security
def test_gib_bomb_stops_at_the_ratio_with_default_limits(gib_bomb, tmp_path):
    started = time.monotonic()
    with pytest.raises(PackageError, match="expands more than 100 times"):
        extract_package(gib_bomb, tmp_path / "m1")
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []


@pytest.mark.security
def test_gib_bomb_stops_at_the_size_cap_counting_real_bytes(gib_bomb, tmp_path):
    # Ratios off: only the running count of written bytes can stop it.
    limits = ExtractLimits(max_total_bytes=8 * MiB, max_entry_ratio=None, max_total_ratio=None)
    with pytest.raises(PackageError, match="larger than 8 MiB"):
        extract_package(gib_bomb, tmp_path / "m1", limits)
    assert list(tmp_path.iterdir()) == []


def test_size_cap_counts_bytes_across_entries(work):
    uploads, content = work
    entries = {**hostile.sample_entries(), **{f"f{i}.bin": os.urandom(MiB) for i in range(3)}}
    path = hostile.write_zip(uploads / "a.zip", entries)
    with pytest.raises(PackageError, match="larger than 2 MiB"):
        extract_package(path, content / "m1", ExtractLimits(max_total_bytes=2 * MiB))
    assert_nothing_left(content)


def test_overall_ratio_catches_many_moderate_entries(work):
    uploads, content = work
    # Each entry alone is under the per-entry floor; together they blow the overall ratio.
    entries = {**hostile.sample_entries(), **{f"z{i}.bin": bytes(MiB // 2) for i in range(6)}}
    path = hostile.write_zip(uploads / "a.zip", entries)
    with pytest.raises(PackageError, match="times its size"):
        extract_package(path, content / "m1")
    assert_nothing_left(content)


# ---------------------------------------------------------------- manifest-level refusals


@pytest.mark.security
@pytest.mark.parametrize(
    ("manifest", "reason"),
    [(hostile.XXE_MANIFEST, "declares a DTD"), (hostile.BILLION_LAUGHS, "declares a DTD")],
    ids=["xxe", "billion-laughs"],
)
def test_entity_attacks_refused_fast_and_nothing_written(work, manifest, reason):
    uploads, content = work
    path = hostile.sample_zip(uploads / "a.zip", extra={"imsmanifest.xml": manifest})
    started = time.monotonic()
    with pytest.raises(PackageError, match=reason):
        import_scorm_zip(path, content / "m1")
    assert time.monotonic() - started < 1
    assert_nothing_left(content)


def test_missing_launch_file_is_named(work):
    uploads, content = work
    path = hostile.sample_zip(uploads / "a.zip", drop=("bab2/index.html",))
    with pytest.raises(PackageError) as err:
        import_scorm_zip(path, content / "m1")
    assert err.value.detail == "bab2/index.html is referenced but not in the package"
    assert_nothing_left(content)


# ---------------------------------------------------------------- shared fixtures (zips)

MOODLE = "moodle_scorm_test_packages_via_mod_exescorm"
ZIP_EXPECTATIONS = [
    # (zip, expected kind or None, expected refusal)
    (f"{MOODLE}/RuntimeMinimumCalls_SCORM12-mini.zip", DetectedKind.SCORM12, None),
    (f"{MOODLE}/complexscorm.zip", DetectedKind.SCORM12, None),
    ("zipped_packages_golf/scorm12.zip", DetectedKind.SCORM12, None),
    ("zipped_packages_golf/scorm2004.zip", DetectedKind.SCORM2004, None),
    (f"{MOODLE}/badscorm.zip", None, "found badscorm/imsmanifest.xml"),
    (f"{MOODLE}/invalid.zip", None, r"^imsmanifest.xml is missing at the root of the package$"),
    (f"{MOODLE}/validaicc.zip", None, r"AICC is not supported"),
    (f"{MOODLE}/validscorm.zip", None, "not well-formed XML"),
    (f"{MOODLE}/singlescobasic_missingorg.zip", DetectedKind.SCORM12, "no <organization>"),
]


@pytest.mark.fixtures
@pytest.mark.parametrize(
    ("rel", "kind", "reason"), ZIP_EXPECTATIONS, ids=[z[0].split("/")[-1] for z in ZIP_EXPECTATIONS]
)
def test_shared_zips(shared_fixtures, tmp_path, rel, kind, reason):
    path = shared_fixtures / rel
    if kind is None:
        with pytest.raises(PackageError, match=reason):
            inspect_upload(path)
        return
    assert inspect_upload(path) is kind
    dest = tmp_path / "content" / "m1"
    if reason:
        with pytest.raises(PackageError, match=reason):
            import_scorm_zip(path, dest)
        assert not dest.parent.exists() or list(dest.parent.iterdir()) == []
        return
    manifest = import_scorm_zip(path, dest)
    assert (dest / "imsmanifest.xml").is_file()
    assert not (dest / "__MACOSX").exists()
    assert manifest.version.family == kind.value


@pytest.mark.fixtures
def test_complexscorm_tolerates_prefixed_default_org(shared_fixtures):
    manifest = load_scorm_zip(shared_fixtures / MOODLE / "complexscorm.zip")
    assert manifest.default_organization == "mm-SCORMDEbugger555f231e21b982c25d16"
    assert any("taken to mean" in w for w in manifest.warnings)
