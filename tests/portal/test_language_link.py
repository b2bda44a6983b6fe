"""The language switcher links only to this site, whatever path an attacker makes the
portal render (issue 10, item 6: `/%5Cevil.example` gave `/\\evil.example?lang=en`)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.security

BASE = "http://portal.test"
EN_LINK = re.compile(r'<a href="([^"]*)" hreflang="en"')


def browser_resolve(href: str, page_url: str) -> str:
    """What a browser makes of an href (WHATWG URL: tabs and newlines dropped,
    backslashes read as slashes for http/https), enough to see which host it names."""
    cleaned = re.sub(r"[\t\n\r]", "", href.strip(" \x00-\x1f")).replace("\\", "/")
    return urljoin(page_url, cleaned)


def en_link(client, raw_path: str) -> str:
    page = client.get(raw_path, headers={"Accept": "text/html"})
    match = EN_LINK.search(page.get_data(as_text=True))
    assert match, f"no language link on {raw_path} ({page.status_code})"
    return unescape(match.group(1))


TRICKS = [
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%2F%2Fevil.example",
    "/%2F%5Cevil.example",
    "/%5C/evil.example",
    "/%09/evil.example",
    "/%0A%0D/evil.example",
    "/%2F%09%2Fevil.example",
    "/%20%2F%2Fevil.example",
    "/%E2%80%AE/evil.example",
    "/masuk/%5C%5Cevil.example",
]


@pytest.mark.parametrize("raw_path", TRICKS)
def test_language_link_never_leaves_the_site(client, raw_path):
    href = en_link(client, raw_path)
    target = urlsplit(browser_resolve(href, BASE + raw_path))
    assert (target.scheme, target.netloc) == ("http", "portal.test"), href
    assert href.startswith("/") and not href.startswith("//"), href
    assert "\\" not in href and not re.search(r"[\x00-\x20\x7f]", href), href
    assert target.query.endswith("lang=en")


def test_language_link_keeps_the_page_and_its_query(client):
    href = en_link(client, "/masuk?next=%2Fkatalog&lang=id")
    assert href == "/masuk?next=%2Fkatalog&lang=en"
    assert en_link(client, "/masuk") == "/masuk?lang=en"


def test_language_link_switches_the_language(client):
    english = client.get(en_link(client, "/masuk"))
    assert english.status_code == 200
    assert '<html lang="en">' in english.get_data(as_text=True)


@pytest.mark.browser
def test_chromium_resolves_every_language_link_to_this_site(client, chromium):
    """The real resolver: Debian's chromium reads each href against the page's address."""
    links = [(raw, en_link(client, raw)) for raw in TRICKS]
    page = chromium.new_page()
    try:

        def host(href: str, raw: str) -> str:
            return page.evaluate("([h, b]) => new URL(h, b).host", [href, BASE + raw])

        # The method sees the bug: the old link's host was the attacker's.
        assert host("/\\evil.example?lang=en", "/%5Cevil.example") == "evil.example"
        for raw, href in links:
            assert host(href, raw) == "portal.test", (raw, href)
    finally:
        page.close()
