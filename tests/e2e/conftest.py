"""End-to-end fixtures: the whole suite as real processes (see tests/support/suite.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.suite import Api, Stack, eventually


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The whole suite, started as `make run` starts it, torn down afterwards."""
    suite = Stack(tmp_path)
    try:
        yield suite
    finally:
        suite.close()


@pytest.fixture
def api_factory():
    return Api


@pytest.fixture
def wait_for():
    return eventually
