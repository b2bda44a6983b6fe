"""End-to-end fixtures: the whole suite as real processes (see tests/support/suite.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
def stack_factory(tmp_path: Path) -> Iterator[Any]:
    """Stacks with overrides or services left out: stack_factory(without=("notification",))."""
    made: list[Stack] = []

    def make(overrides: dict[str, str] | None = None, without: tuple[str, ...] = ()) -> Stack:
        var_dir = tmp_path / f"stack{len(made)}"
        var_dir.mkdir()
        made.append(Stack(var_dir, overrides, without))
        return made[-1]

    try:
        yield make
    finally:
        for suite in made:
            suite.close()


@pytest.fixture
def api_factory():
    return Api


@pytest.fixture
def wait_for():
    return eventually
