#!/usr/bin/env python3
"""A 200 MB SCORM package uploaded and extracted: time, and elearning's memory growth.

Personnel (for tokens) and elearning run as `make run` starts them (gunicorn as .env.example
sets it, SQLite). A SCORM 1.2 package is generated in a temporary folder: an imsmanifest.xml
with one SCO, its page, and media files of random bytes (stored, not deflated, as real video
is already compressed) up to 200,000,000 bytes of zip, under the 200 MiB MODULE_MAX_BYTES. A
trainer uploads it with `POST /api/v1/modules`, straight to elearning; the clock runs until
the 201 answer (upload, checks, extraction, storage). Meanwhile the RSS of each elearning
process (gunicorn's master and workers) is sampled from /proc every 20 ms: the figure is the
largest growth of one process over its RSS before the upload, after a small package was
uploaded once to load the code paths.
Usage: .venv/bin/python bench/scorm_upload.py [--megabytes N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import requests
from benchlib import descendants, emit, load_average, memory_kb, suite, token
from scorm_commits import scorm_zip

TARGET_GROWTH_MB = 50
MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench-besar" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Paket Besar Bench</title>
      <item identifier="bab_1" identifierref="res_1"><title>Video Pelatihan</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res_1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
{files}
    </resource>
  </resources>
</manifest>
"""
PAGE = "<!doctype html><title>Video</title>" + "".join(
    f'<video src="media/video-{n:02d}.mp4"></video>' for n in range(3)
)


def big_package(folder: Path, total_bytes: int, file_bytes: int = 10_000_000) -> Path:
    """A SCORM 1.2 zip of about total_bytes, mostly incompressible media, stored."""
    count = max(1, total_bytes // file_bytes)
    size = (total_bytes - 4096) // count
    names = [f"media/video-{n:02d}.mp4" for n in range(count)]
    files = "\n".join(f'      <file href="{name}"/>' for name in names)
    path = folder / "paket-besar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("imsmanifest.xml", MANIFEST.format(files=files))
        archive.writestr("index.html", PAGE)
        for name in names:
            archive.writestr(name, os.urandom(size))
    return path


class RssSampler(threading.Thread):
    """The peak RSS (kB) of every process under `root`, sampled until stopped."""

    def __init__(self, root: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak: dict[int, int] = {}
        self.running = True

    def run(self) -> None:
        while self.running:
            for pid in descendants(self.root):
                rss = memory_kb(pid).get("rss", 0)
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
            time.sleep(self.interval)


def rss_now(root: int) -> dict[int, int]:
    return {pid: memory_kb(pid).get("rss", 0) for pid in descendants(root)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=200, help="zip size, 10^6 bytes")
    parser.add_argument("--quick", action="store_true", help="20 MB")
    args = parser.parse_args()
    if args.quick:
        args.megabytes = 20
    processes = ("personnel", "elearning")
    with (
        tempfile.TemporaryDirectory(prefix="cakap-bench-package-") as tmp,
        suite(processes, peers=processes, ready=processes) as stack,
    ):
        package = big_package(Path(tmp), int(args.megabytes * 1_000_000))
        size = package.stat().st_size
        base = stack.urls["elearning"]
        bearer = {"Authorization": f"Bearer {token(stack.urls['personnel'], 'trainer')}"}
        http = requests.Session()
        for _ in range(2):  # each worker, more or less: the upload and extraction code loaded
            files = {"file": ("kecil.zip", scorm_zip(), "application/zip")}
            small = http.post(f"{base}/api/v1/modules", headers=bearer, files=files, timeout=120)
            assert small.status_code == 201, small.text
        root = stack.processes["elearning"].pid
        time.sleep(1)
        before = rss_now(root)
        sampler = RssSampler(root)
        sampler.start()
        with package.open("rb") as body:
            started = time.monotonic()
            answer = http.post(
                f"{base}/api/v1/modules",
                headers=bearer,
                files={"file": ("paket-besar.zip", body, "application/zip")},
                data={"title": "Paket Besar"},
                timeout=900,
            )
            seconds = time.monotonic() - started
        time.sleep(0.5)
        sampler.running = False
        sampler.join()
        after = rss_now(root)
        if answer.status_code != 201:
            raise SystemExit(f"upload refused: {answer.status_code} {answer.text[:500]}")
    growth = {pid: sampler.peak.get(pid, 0) - rss for pid, rss in before.items()}
    kept = {pid: after.get(pid, 0) - rss for pid, rss in before.items() if pid in after}
    worst = max(growth, key=growth.get)
    figures = {
        "zip_mb": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "mb_per_second": round(size / 1e6 / seconds, 1),
        "rss_before_mb": round(before[worst] / 1024, 1),
        "rss_peak_growth_mb": round(growth[worst] / 1024, 1),
        "rss_kept_growth_mb": round(max(kept.values()) / 1024, 1),
        "processes_sampled": len(before),
        "database": "sqlite",
        "load_average_1min": load_average(),
    }
    print(f"a {size / 1e6:.0f} MB SCORM 1.2 zip (stored media), straight to elearning; "
          f"load average {figures['load_average_1min']}")  # fmt: skip
    print()
    print("| figure | value |")
    print("| --- | ---: |")
    print(f"| upload, checks and extraction | {seconds:.1f} s ({figures['mb_per_second']} MB/s) |")
    print(f"| elearning process RSS before | {figures['rss_before_mb']:.0f} MB |")
    print(f"| its largest growth during the upload | {figures['rss_peak_growth_mb']:.1f} MB |")
    print(f"| growth still held afterwards | {figures['rss_kept_growth_mb']:.1f} MB |")
    print()
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
