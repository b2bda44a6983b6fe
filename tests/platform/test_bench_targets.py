"""make bench's table of targets (bench/run_all.py): each figure found and judged."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import REPO_ROOT

pytestmark = pytest.mark.database_free

spec = importlib.util.spec_from_file_location("run_all", REPO_ROOT / "bench" / "run_all.py")
assert spec is not None and spec.loader is not None
run_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_all)


def test_every_target_names_a_benchmark_that_exists() -> None:
    benches = {name for name, _ in run_all.BENCHES}
    for bench, *_ in run_all.TARGETS:
        assert bench in benches and (REPO_ROOT / "bench" / bench).exists(), bench


def test_lookup_walks_keys_indices_and_takes_the_largest_of_a_mapping() -> None:
    figures = {"cases": [{"seconds": 9.5}, {"seconds": 61}], "median_ms": {"a": 20, "b": 310.5}}
    assert run_all.lookup(figures, "cases.1.seconds") == 61.0
    assert run_all.lookup(figures, "median_ms.*") == 310.5
    assert run_all.lookup(figures, "cases.2.seconds") is None
    assert run_all.lookup(None, "sign_in.per_minute") is None


def test_verdicts_say_met_missed_or_not_measured() -> None:
    rows = run_all.verdicts(
        {
            "sign_in.py": {"sign_in": {"per_minute": 2879.5, "p99_ms": 1600}},
            "planning_solve.py": {"cases": [{"seconds": 17.83}, {"seconds": 59.0}]},
        }
    )
    by_what = {row.split(" | ")[0].lstrip("| "): row.split(" | ")[1:] for row in rows[2:]}
    assert by_what["sign-ins a minute from one address >= 100"][1] == "✔"
    assert by_what["sign-in p99 ms, 16 at once <= 1500"][1] == "✘"
    assert by_what["planning, a unit: seconds < 10"][1] == "✘"
    assert by_what["planning, the city: seconds < 60"][1] == "✔"
    assert by_what["catalog search worst p95 ms <= 20"][:2] == ["not measured", "—"]
    # Without the bare baseline there is no reference speed to scale to.
    assert by_what["planning, the city: seconds < 60"][2:] == ["—", "— |"]


def test_times_and_rates_are_also_judged_at_the_reference_speed() -> None:
    rows = run_all.verdicts(
        {
            "bare_vs_me.py": {"bare": {"rps": 1362.5}, "me": {"ratio": 0.52}},  # half as fast
            "sign_in.py": {"sign_in": {"per_minute": 60, "p99_ms": 1600}},
            "planning_solve.py": {"cases": [{"seconds": 19.0}, {"seconds": 59.0}]},
        }
    )
    by_what = {row.split(" | ")[0].lstrip("| "): row.split(" | ")[1:] for row in rows[2:]}
    assert by_what["planning, a unit: seconds < 10"] == ["19", "✘", "9.5", "✔ |"]
    assert by_what["planning, the city: seconds < 60"] == ["59", "✔", "29.5", "✔ |"]
    assert by_what["sign-in p99 ms, 16 at once <= 1500"] == ["1600", "✘", "800", "✔ |"]
    assert by_what["sign-ins a minute from one address >= 100"] == ["60", "✘", "120", "✔ |"]
    # A ratio to a baseline of the same run does not move with the machine.
    assert by_what["GET /api/v1/me req/s / bare Flask >= 0.5"] == ["0.52", "✔", "same", "✔ |"]
