"""Recognise an uploaded file by its content and unpack SCORM zips without trusting them."""

from __future__ import annotations

import codecs
import os
import posixpath
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, BinaryIO

from elearning_service.scorm.manifest import (
    MAX_MANIFEST_BYTES,
    Manifest,
    ManifestError,
    detect_version,
    parse_manifest,
    parse_xml,
    validate_against_files,
)

MiB = 1024 * 1024
MANIFEST = "imsmanifest.xml"
_CHUNK = 64 * 1024
# How much of a text upload is decoded to decide it is UTF-8 (Markdown page).
_TEXT_SNIFF = 1 * MiB
# ISO BMFF major/compatible brands that browsers play as MP4 video.
_VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V "}
_DRIVE = re.compile(r"^[A-Za-z]:")
# Cruft written by macOS archivers; never needed to play a course, so never written.
_CRUFT_DIRS = ("__MACOSX/",)
_CRUFT_FILES = (".DS_Store",)

Source = str | os.PathLike[str] | BinaryIO | IO[bytes]


class PackageError(ValueError):
    """The upload is refused; `detail` says why in words a trainer understands."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class DetectedKind(StrEnum):
    """What an upload is, judged by its bytes rather than its name."""

    SCORM12 = "scorm12"
    SCORM2004 = "scorm2004"
    PDF = "pdf"
    VIDEO = "video"
    PAGE = "page"


@dataclass(frozen=True)
class ExtractLimits:
    """Caps on what an unpacked zip may become; `None` switches a ratio check off."""

    max_entries: int = 5000
    max_total_bytes: int = 500 * MiB
    max_entry_ratio: float | None = 100
    max_total_ratio: float | None = 100
    # Ratios are only judged past this many bytes: a small, very compressible file (a page
    # of spaces) is harmless, and a bomb is only a bomb once it is big.
    ratio_floor_bytes: int = 1 * MiB


# ---------------------------------------------------------------- detection


def _read_head(source: Source, n: int) -> bytes:
    """The first n bytes of a path or file object (file position restored)."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return fh.read(n)
    pos = source.tell()
    try:
        return source.read(n)
    finally:
        source.seek(pos)


def _open_zip(source: Source) -> zipfile.ZipFile:
    """Open a zip or refuse with a clear reason."""
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise PackageError("the file is not a valid zip archive") from exc


def _read_member(zf: zipfile.ZipInfo | str, archive: zipfile.ZipFile, cap: int) -> bytes:
    """Read one member, refusing it once it yields more than `cap` real bytes."""
    out = bytearray()
    with archive.open(zf) as fh:
        while chunk := fh.read(_CHUNK):
            out += chunk
            if len(out) > cap:
                raise PackageError(f"{MANIFEST} is larger than {cap // MiB} MiB")
    return bytes(out)


def _find_manifest(zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The root imsmanifest.xml, or a refusal naming what was found instead."""
    names = [i.filename for i in zf.infolist()]
    if MANIFEST in names:
        info = zf.getinfo(MANIFEST)
        if info.flag_bits & 0x1:
            raise PackageError("the zip is password-protected; upload it without a password")
        return info
    base = {posixpath.basename(n.rstrip("/")).lower(): n for n in names}
    xapi = [n for n in ("tincan.xml", "cmi5.xml") if n in base]
    if xapi:
        raise PackageError(
            f"not a SCORM package: {' and '.join(xapi)} found; xAPI/cmi5 packages are not supported"
        )
    nested = [n for n in names if posixpath.basename(n) == MANIFEST]
    if nested:
        raise PackageError(
            f"{MANIFEST} is missing at the root of the package (found {nested[0]}: "
            "zip the contents of the course folder, not the folder itself)"
        )
    if any(n.lower().endswith((".crs", ".au", ".des", ".cst")) for n in names):
        raise PackageError(
            f"{MANIFEST} is missing at the root of the package (AICC is not supported)"
        )
    raise PackageError(f"{MANIFEST} is missing at the root of the package")


def read_manifest_bytes(zf: zipfile.ZipFile) -> bytes:
    """The bytes of the root imsmanifest.xml of an open zip (bounded read)."""
    return _read_member(_find_manifest(zf), zf, MAX_MANIFEST_BYTES)


def _is_utf8_text(head: bytes, complete: bool) -> bool:
    """True when the bytes decode as UTF-8 and hold no NULs (binary files do)."""
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-zip")


def says_zip(filename: str | None, declared_type: str | None) -> bool:
    """True when the file's name or its declared media type says it is a zip."""
    name = (filename or "").strip().lower()
    media = (declared_type or "").split(";", 1)[0].strip().lower()
    return name.endswith(".zip") or media in ZIP_TYPES


def inspect_upload(source: Source, claims_zip: bool = False) -> DetectedKind:
    """Decide what an upload is from its bytes; refuse what Cakap cannot play.

    `claims_zip`: the name or declared type says zip. Such a file must be a valid zip;
    it is never taken for another kind of module because its bytes happen to fit one.
    """
    head = _read_head(source, _TEXT_SNIFF + 1)
    if claims_zip and not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise PackageError("the file is named or declared as a zip but is not a valid zip archive")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        pos = None if isinstance(source, str | os.PathLike) else source.tell()
        try:
            with _open_zip(source) as zf:
                data = read_manifest_bytes(zf)
        finally:
            if pos is not None:
                source.seek(pos)  # type: ignore[union-attr]
        try:
            root, namespaces = parse_xml(data)
            version = detect_version(root, namespaces)
        except ManifestError as exc:
            raise PackageError(exc.detail) from exc
        return DetectedKind(version.family)
    if head.startswith(b"%PDF-"):
        return DetectedKind.PDF
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[0:4], "big")
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(box_size, 64), 4)}
        if brands & _VIDEO_BRANDS:
            return DetectedKind.VIDEO
        raise PackageError("this video container is not supported; upload an MP4 (H.264) file")
    if head and _is_utf8_text(head[:_TEXT_SNIFF], complete=len(head) <= _TEXT_SNIFF):
        return DetectedKind.PAGE
    raise PackageError(
        "unsupported file: upload a SCORM zip, a PDF, an MP4 video or a Markdown text page"
    )


# ---------------------------------------------------------------- entry checks


def check_entry_name(name: str) -> None:
    """Refuse an entry name that could land outside the destination or confuse a filesystem."""
    if not name:
        raise PackageError("the zip holds an entry with an empty name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise PackageError(f"entry {name!r} has control characters in its name")
    if "\\" in name:
        raise PackageError(f"entry {name!r} uses backslashes; zip paths must use '/'")
    if name.startswith("/") or _DRIVE.match(name):
        raise PackageError(f"entry {name!r} has an absolute path")
    if ".." in name.split("/"):
        raise PackageError(f"entry {name!r} tries to leave the package folder ('..')")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    """True when the entry's Unix mode says symbolic link."""
    return stat.S_ISLNK(info.external_attr >> 16)


def _is_cruft(name: str) -> bool:
    """macOS resource forks and Finder files: skipped, never written."""
    return name.startswith(_CRUFT_DIRS) or posixpath.basename(name) in _CRUFT_FILES


def _check_entries(infos: list[zipfile.ZipInfo], dest: Path, limits: ExtractLimits) -> None:
    """Every name and flag is checked before a single byte is written."""
    if len(infos) > limits.max_entries:
        raise PackageError(
            f"the zip holds {len(infos)} entries; at most {limits.max_entries} are allowed"
        )
    seen: set[str] = set()
    root = os.path.realpath(dest)
    for info in infos:
        name = info.filename
        check_entry_name(name)
        if _is_symlink(info):
            raise PackageError(f"entry {name!r} is a symbolic link; links are not allowed")
        if info.flag_bits & 0x1:
            raise PackageError("the zip is password-protected; upload it without a password")
        target = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, target]) != root:
            raise PackageError(f"entry {name!r} would be written outside the package folder")
        # Case-folded, because two names differing only in case collide on some disks.
        key = name.rstrip("/").casefold()
        if key in seen and not name.endswith("/"):
            raise PackageError(f"entry {name!r} appears twice in the zip")
        seen.add(key)


# ---------------------------------------------------------------- extraction


class _Budget:
    """Counts bytes actually written against the limits (headers are not trusted)."""

    def __init__(self, limits: ExtractLimits, archive_bytes: int) -> None:
        self.limits = limits
        self.archive_bytes = max(archive_bytes, 1)
        self.total = 0

    def add(self, name: str, entry_written: int, entry_compressed: int, n: int) -> None:
        """Account n more bytes of entry `name`; raise once any cap is passed."""
        lim = self.limits
        self.total += n
        if self.total > lim.max_total_bytes:
            raise PackageError(
                f"the unpacked package is larger than {lim.max_total_bytes // MiB} MiB"
            )
        floor = lim.ratio_floor_bytes
        if (
            lim.max_entry_ratio is not None
            and entry_written > floor
            and entry_written > max(entry_compressed, 1) * lim.max_entry_ratio
        ):
            raise PackageError(
                f"entry {name!r} expands more than {lim.max_entry_ratio:g} times; "
                "this looks like a zip bomb"
            )
        if (
            lim.max_total_ratio is not None
            and self.total > floor
            and self.total > self.archive_bytes * lim.max_total_ratio
        ):
            raise PackageError(
                f"the package expands more than {lim.max_total_ratio:g} times its size; "
                "this looks like a zip bomb"
            )


def _archive_size(source: Source) -> int:
    """Size in bytes of the zip itself, the honest base for the overall ratio."""
    if isinstance(source, str | os.PathLike):
        return os.path.getsize(source)
    pos = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(pos)
    return size


def _write_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: str, budget: _Budget) -> None:
    """Stream one file entry to disk, counting real bytes as they come."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # O_EXCL: never overwrite; O_NOFOLLOW: never write through a link (none should exist).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    written = 0
    with zf.open(info) as src, os.fdopen(os.open(target, flags, 0o644), "wb") as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            budget.add(info.filename, written, info.compress_size, len(chunk))
            dst.write(chunk)


def extract_package(
    source: Source, dest_dir: str | os.PathLike[str], limits: ExtractLimits | None = None
) -> list[str]:
    """Unpack a SCORM zip into dest_dir (which must not exist) or refuse and leave nothing.

    Returns the names of the files written. Unpacking happens in a temporary folder beside
    dest_dir that is renamed into place only when everything passed.
    """
    limits = limits or ExtractLimits()
    dest = Path(dest_dir)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _open_zip(source) as zf:
        infos = zf.infolist()
        _check_entries(infos, dest, limits)
        _find_manifest(zf)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
        try:
            written = _extract_all(zf, infos, tmp, _Budget(limits, _archive_size(source)))
            os.replace(tmp, dest)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            err = _as_package_error(exc)
            if err is exc:
                raise
            raise err from exc
    return written


def _as_package_error(exc: BaseException) -> BaseException:
    """Translate low-level zip and disk errors into a refusal a trainer can act on."""
    if isinstance(exc, PackageError):
        return exc
    if isinstance(exc, zipfile.BadZipFile | EOFError | NotImplementedError):
        return PackageError(f"the zip is damaged or uses an unsupported format ({exc})")
    if isinstance(exc, FileExistsError | IsADirectoryError | NotADirectoryError):
        return PackageError("the zip holds conflicting entries for the same path")
    return exc


def _extract_all(
    zf: zipfile.ZipFile, infos: Iterable[zipfile.ZipInfo], tmp: Path, budget: _Budget
) -> list[str]:
    """Write every non-cruft entry under tmp; names were checked beforehand."""
    written: list[str] = []
    for info in infos:
        if _is_cruft(info.filename):
            continue
        target = os.path.join(tmp, info.filename)
        if info.is_dir():
            os.makedirs(target, exist_ok=True)
            continue
        _write_entry(zf, info, target, budget)
        written.append(info.filename)
    return written


# ---------------------------------------------------------------- whole import


def load_scorm_zip(source: Source) -> Manifest:
    """Parse and check a SCORM zip's manifest against its entries, writing nothing."""
    with _open_zip(source) as zf:
        names = [i.filename for i in zf.infolist()]
        data = read_manifest_bytes(zf)
        name_set = set(names)

        def read_file(rel: str) -> bytes | None:
            """Another file of the package, for external metadata only."""
            rel = posixpath.normpath(rel)
            if rel not in name_set:
                return None
            return _read_member(rel, zf, MAX_MANIFEST_BYTES)

        try:
            manifest = parse_manifest(data, read_file)
            validate_against_files(manifest, names)
        except ManifestError as exc:
            raise PackageError(exc.detail) from exc
    return manifest


def import_scorm_zip(
    source: Source, dest_dir: str | os.PathLike[str], limits: ExtractLimits | None = None
) -> Manifest:
    """Check a SCORM zip's manifest, then unpack it safely; the web layer's one call."""
    manifest = load_scorm_zip(source)
    if not isinstance(source, str | os.PathLike):
        source.seek(0)
    extract_package(source, dest_dir, limits)
    return manifest
