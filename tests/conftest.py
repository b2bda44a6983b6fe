"""Fixtures every test package may use: where the shared fixtures live."""

import os
from pathlib import Path

import pytest

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
