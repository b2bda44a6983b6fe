"""Fixtures every test package may use: where the shared fixtures live."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cakap_shared.testing import mint_token

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


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
