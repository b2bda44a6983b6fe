"""Fixtures every test package may use: where the shared fixtures live."""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cakap_shared.testing import mint_token

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"

# The gateway and the portal have no database: their tests are `database_free`, like any
# module that says so with `pytestmark`. `make test` runs those once, not again on PostgreSQL.
DATABASE_FREE_DIRS = {"gateway", "portal"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(TESTS).parts[0] in DATABASE_FREE_DIRS:
            item.add_marker(pytest.mark.database_free)


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """The public fixture corpus in ../shared/fixtures.

    Skipped with a reason when absent, but CI must never skip it silently.
    """
    if not SHARED_FIXTURES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {SHARED_FIXTURES} is missing")
        pytest.skip(f"{SHARED_FIXTURES} is absent on this machine")
    return SHARED_FIXTURES


@pytest.fixture
def token() -> Callable[..., str]:
    """Mint an access token: token(person_id, roles=[...], unit_code=..., supervisor_id=...)."""

    def make(sub: str, roles: list[str] | None = None, **claims: object) -> str:
        return mint_token(sub, roles or ["asn"], **claims)

    return make


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def need(condition: bool, reason: str) -> None:
    """Skip with `reason` when `condition` is false, except under CI, where it fails."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's chromium under Playwright, launched once for every browser test.

    One per process: Playwright's sync API runs its own event loop, and a second
    `sync_playwright()` while the first is open fails.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright (Python) is not installed")
    need(Path(CHROMIUM).exists() or bool(shutil.which("chromium")), f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
