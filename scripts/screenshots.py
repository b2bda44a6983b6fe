"""Screenshots of the back office's and the learner's main pages into docs/screenshots/
(make screenshots).

Starts the real suite with demo data on free ports (the browser tests' process stack),
signs in as the demo admin (back office) and as the demo ASN pegawai (learner pages, named
asn-*) in Debian's chromium and saves each page at 1280 px and at 375 px. For the test page
pegawai is first given a place in TIK-101 (requested, approved by atasan) through the API.
Regenerate after a page changes and commit the images.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "shared")]

from playwright.sync_api import sync_playwright  # noqa: E402
from support.suite import Stack  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = {
    "admin": "/admin",
    "unit-kerja": "/admin/unit",
    "pegawai": "/admin/pegawai?unit_code=DISKOMINFO&include_subunits=1",
    "pegawai-tambah": "/admin/pegawai/baru",
    "pegawai-impor": "/admin/pegawai/impor",
    "pelatihan": "/admin/pelatihan",
    "pelatihan-tambah": "/admin/pelatihan/baru",
    "anggaran": "/admin/anggaran",
    "laporan-kepatuhan-jp": "/admin/laporan/kepatuhan-jp",
    "laporan-kepatuhan-jp-unit": "/admin/laporan/kepatuhan-jp/unit/DISKOMINFO",
    "laporan-evaluasi": "/admin/laporan/evaluasi",
    "laporan-penyelesaian": "/admin/laporan/penyelesaian",
    "kompetensi": "/admin/kompetensi",
    "penyelenggara": "/admin/penyelenggara",
    "operasi": "/admin/operasi?layanan=catalog",
}
# The learner's pages; "{course}" is TIK-101's page. The test is opened from Pendaftaran.
LEARNER_PAGES = {
    "asn-beranda": "/",
    "asn-katalog": "/katalog",
    "asn-pelatihan": "/katalog/{course}",
    "asn-pendaftaran": "/pendaftaran",
    "asn-sertifikat": "/sertifikat",
}
SIZES = {"desktop": {"width": 1280, "height": 800}, "ponsel": {"width": 375, "height": 740}}
PASSWORD = "cakap-demo"


def _api(base: str, login: str) -> requests.Session:
    """A requests session with `login`'s bearer token."""
    session = requests.Session()
    answer = session.post(
        f"{base}/api/v1/auth/token", json={"username": login, "password": PASSWORD}, timeout=30
    )
    answer.raise_for_status()
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return session


def enrol_pegawai(base: str) -> str:
    """Give pegawai a place in a class of TIK-101 (its pre test is then open) and return the
    course id."""
    pegawai, atasan = _api(base, "pegawai"), _api(base, "atasan")
    found = pegawai.get(f"{base}/api/v1/courses", params={"q": "TIK-101"}, timeout=30).json()
    course = next(c for c in found["items"] if c["code"] == "TIK-101")
    classes = pegawai.get(f"{base}/api/v1/courses/{course['id']}/classes", timeout=30).json()
    klass = next(k for k in classes["items"] if k.get("enrolment_open", True))
    asked = pegawai.post(f"{base}/api/v1/enrolments", json={"class_id": klass["id"]}, timeout=30)
    asked.raise_for_status()
    approved = atasan.post(f"{base}/api/v1/enrolments/{asked.json()['id']}/approve", timeout=30)
    approved.raise_for_status()
    return str(course["id"])


def sign_in(page: Any, login: str) -> None:
    """Sign in through the portal's form."""
    page.goto("/masuk")
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.click("#isi form button[type=submit]")
    page.wait_for_load_state()


def shoot(page: Any, name: str, size: str) -> None:
    """Save the whole page as docs/screenshots/<name>-<size>.png."""
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=True)
    print(f"{name}-{size}.png")


def main() -> int:
    """Start the suite, take every screenshot, stop the suite."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp))
        try:
            stack.start()
            stack.wait_ready("gateway", timeout=180)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                )
                course = enrol_pegawai(stack.urls["gateway"])
                for size, viewport in SIZES.items():
                    context = browser.new_context(
                        viewport=viewport,
                        base_url=stack.urls["gateway"],
                        locale="id-ID",
                        reduced_motion="reduce",  # charts drawn at once, not mid-animation
                    )
                    page = context.new_page()
                    sign_in(page, "admin")
                    for name, url in PAGES.items():
                        page.goto(url)
                        shoot(page, name, size)
                    context.clear_cookies()
                    sign_in(page, "pegawai")
                    for name, url in LEARNER_PAGES.items():
                        page.goto(url.format(course=course))
                        shoot(page, name, size)
                    page.goto("/pendaftaran")
                    page.get_by_role("button", name="pre-test").first.click()
                    page.wait_for_url("**/asesmen/percobaan/**")
                    shoot(page, "asn-tes", size)
                    context.close()
                browser.close()
        finally:
            stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
