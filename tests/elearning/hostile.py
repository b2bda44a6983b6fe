"""Builders for hostile and sample zips, written into a test's tmp dir at test time."""

from __future__ import annotations

import stat
import struct
import warnings
import zipfile
from pathlib import Path

DATA = Path(__file__).parent / "data"
SAMPLE_SCORM12 = DATA / "kursus_scorm12"
MiB = 1024 * 1024

XXE_MANIFEST = b"""<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest identifier="x" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2">
  <metadata><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>&xxe;</title>
  </organization></organizations><resources/>
</manifest>
"""

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE manifest [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b']>\n<manifest identifier="x"><metadata><schemaversion>1.2</schemaversion>'
    b'</metadata><organizations><organization identifier="o"><title>&lol9;</title>'
    b"</organization></organizations><resources/></manifest>\n"
)


def sample_entries(src: Path = SAMPLE_SCORM12) -> dict[str, bytes]:
    """The files of a sample package as zip entry name -> bytes."""
    return {
        p.relative_to(src).as_posix(): p.read_bytes() for p in sorted(src.rglob("*")) if p.is_file()
    }


def write_zip(path: Path, entries: dict[str, bytes] | list[tuple[str, bytes]]) -> Path:
    """A deflated zip with exactly these entries (names are written as given)."""
    items = entries.items() if isinstance(entries, dict) else entries
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        # Duplicate names are one of the hostile cases; zipfile warns but writes them.
        warnings.simplefilter("ignore", UserWarning)
        for name, data in items:
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def sample_zip(
    path: Path, extra: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()
) -> Path:
    """The Bahasa Indonesia sample package, with entries added or removed."""
    entries = {k: v for k, v in sample_entries().items() if k not in drop}
    entries.update(extra or {})
    return write_zip(path, entries)


def symlink_zip(path: Path, target: str = "/etc/passwd") -> Path:
    """The sample package plus an entry whose Unix mode says symbolic link."""
    sample_zip(path)
    info = zipfile.ZipInfo("bab1/tautan.html")
    info.create_system = 3  # Unix, so the mode bits are meaningful
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(info, target)
    return path


def zero_bomb(path: Path, size: int = 1024 * MiB) -> Path:
    """The sample package plus `size` bytes of zeros in one entry, built streaming (~1 MB file)."""
    sample_zip(path)
    chunk = bytes(MiB)
    # compresslevel 1: zeros shrink ~1000x anyway and the test stays fast.
    info = zipfile.ZipInfo("bab1/nol.bin")
    info.compress_type = zipfile.ZIP_DEFLATED
    with (
        zipfile.ZipFile(path, "a", compresslevel=1) as zf,
        zf.open(info, "w", force_zip64=True) as fh,
    ):
        for _ in range(size // MiB):
            fh.write(chunk)
    return path


def lying_size_zip(path: Path, real: int = 4 * MiB, claimed: int = 1000) -> Path:
    """The sample package plus an entry whose headers claim `claimed` bytes but hold `real`."""
    sample_zip(path, extra={"bab1/bohong.bin": bytes(real)})
    raw = bytearray(path.read_bytes())
    name = b"bab1/bohong.bin"
    # Local header: uncompressed size at offset 22; central directory header: offset 24.
    for sig, size_off, name_off in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        pos = raw.find(sig)
        while pos != -1:
            name_len = struct.unpack_from("<H", raw, pos + (26 if sig == b"PK\x03\x04" else 28))[0]
            if raw[pos + name_off : pos + name_off + name_len] == name:
                struct.pack_into("<I", raw, pos + size_off, claimed)
            pos = raw.find(sig, pos + 4)
    path.write_bytes(bytes(raw))
    return path


def many_entries_zip(path: Path, count: int) -> Path:
    """The sample package plus `count` tiny files (an entry-count bomb)."""
    extra = {f"sampah/{i}.txt": b"" for i in range(count)}
    return sample_zip(path, extra=extra)


def encrypted_flag_zip(path: Path) -> Path:
    """The sample package with the 'encrypted' flag set on every entry."""
    sample_zip(path)
    raw = bytearray(path.read_bytes())
    for sig, flag_off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = raw.find(sig)
        while pos != -1:
            flags = struct.unpack_from("<H", raw, pos + flag_off)[0]
            struct.pack_into("<H", raw, pos + flag_off, flags | 0x1)
            pos = raw.find(sig, pos + 4)
    path.write_bytes(bytes(raw))
    return path
