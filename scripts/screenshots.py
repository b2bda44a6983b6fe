"""Screenshots of the back office's main pages into docs/screenshots/ (make screenshots).

Starts the real suite with demo data on free ports (the browser tests' process stack),
signs in as the demo admin in Debian's chromium and saves each page at 1280 px and at
375 px. Regenerate after a page changes and commit the images.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

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
SIZES = {"desktop": {"width": 1280, "height": 800}, "ponsel": {"width": 375, "height": 740}}


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
                for size, viewport in SIZES.items():
                    context = browser.new_context(
                        viewport=viewport,
                        base_url=stack.urls["gateway"],
                        locale="id-ID",
                        reduced_motion="reduce",  # charts drawn at once, not mid-animation
                    )
                    page = context.new_page()
                    page.goto("/masuk")
                    page.fill("#username", "admin")
                    page.fill("#password", "cakap-demo")
                    page.click("#isi form button[type=submit]")
                    page.wait_for_load_state()
                    for name, url in PAGES.items():
                        page.goto(url)
                        page.wait_for_load_state("networkidle")
                        page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=True)
                        print(f"{name}-{size}.png")
                    context.close()
                browser.close()
        finally:
            stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
