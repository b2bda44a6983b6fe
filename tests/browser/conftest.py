"""Browser tests: Debian's chromium, driven by Playwright, against the real suite.

One suite (every Procfile process, demo data, own databases) is started per test session
and shared by every browser test, so a test creates the data it changes instead of
relying on what another test left. `make test` runs them in one process (-p no:xdist):
one suite and one chromium, never two suites fighting over two cores.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import CHROMIUM, need
from support.suite import Stack

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
DEMO_PASSWORD = "cakap-demo"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


class Suite:
    """The running suite as a browser test sees it: one public address, demo accounts."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.url = stack.urls["gateway"]

    def token(self, login: str, password: str = DEMO_PASSWORD) -> str:
        response = requests.post(
            f"{self.url}/api/v1/auth/token",
            json={"username": login, "password": password},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def api(self, login: str, password: str = DEMO_PASSWORD) -> requests.Session:
        """A session signed in as `login` that calls paths relative to the gateway."""
        session = _BaseUrlSession(self.url)
        session.headers["Authorization"] = f"Bearer {self.token(login, password)}"
        return session


class _BaseUrlSession(requests.Session):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 30)
        return super().request(method, f"{self.base_url}{url!s}", *args, **kwargs)


@pytest.fixture(scope="session")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    """Every Procfile process with demo data, started once for all browser tests."""
    need(Path(CHROMIUM).exists() or bool(shutil.which("chromium")), f"{CHROMIUM} is missing")
    stack = Stack(tmp_path_factory.mktemp("suite"))
    try:
        stack.start()
        stack.wait_ready("gateway", timeout=180)
        yield Suite(stack)
    finally:
        stack.close()


@pytest.fixture
def page_as(suite: Suite, chromium: Any) -> Iterator[Callable[..., Any]]:
    """page_as(login, phone=False): a page signed in to the portal (login=None: signed out)."""
    contexts = []

    def open_page(login: str | None, phone: bool = False, password: str = DEMO_PASSWORD) -> Any:
        context = chromium.new_context(
            viewport=PHONE if phone else DESKTOP, base_url=suite.url, locale="id-ID"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if login is not None:
            page.goto("/masuk")
            page.fill("#username", login)
            page.fill("#password", password)
            page.click("form button[type=submit]")
            page.wait_for_load_state()
            assert "/masuk" not in page.url, f"{login} could not sign in"
        return page

    yield open_page
    for context in contexts:
        context.close()


def page_fits(page: Any) -> None:
    """Fail when the page scrolls sideways (wider than its viewport).

    Waits for the load event first: measured while the stylesheet is still on its way, a
    page is as wide as its unstyled form (CI once caught the apresiasi form that way).
    """
    page.wait_for_load_state("load")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.fixture
def assert_fits() -> Callable[[Any], None]:
    """assert_fits(page): fail when the page scrolls sideways."""
    return page_fits
