"""Planning: the yearly development plan of a unit (2,000 people, 300 classes) and of the
city (12,000 people, 1,000 classes) on synthetic data, with the optimality gap.

The data look like a city's: nine managerial competencies with levels set by position type
and thirty technical ones (three or four per position), current levels a little below or at
the standard, a third of the people below the 20 JP target, new CPNS with a mandatory
course; courses raise one to three competencies to level 2-4, a third of them free
(e-learning), the rest Rp 1.5-7.5 million per participant; classes of 25-40 seats spread
over the year, 1-5 days long. The budget covers about a tenth of the people.
Usage: .venv/bin/python bench/planning_solve.py [--only unit|city] [--time-limit S]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "services" / "planning"), str(ROOT / "shared")]

from planning_service.domain.model import Offer, Person, Problem, Rules, evaluate, violations  # noqa: E402  # noqa: E402
from planning_service.domain.optimizer import budget_margins, greedy, solve  # noqa: E402

MANAGERIAL = [f"M-{n}" for n in range(1, 10)]
TECHNICAL = [f"T-{n:02d}" for n in range(1, 31)]
MANDATORY = "LATSAR-CPNS"


def synthetic(people: int, classes: int, seed: int = 7) -> tuple[list[Person], list[Offer]]:
    """People with gaps and classes that close them, as described above."""
    rng = random.Random(seed)
    persons = []
    for n in range(people):
        standard = {code: rng.choice((1, 2, 2, 3)) for code in MANAGERIAL}
        standard.update({code: rng.choice((2, 3)) for code in rng.sample(TECHNICAL, 4)})
        gaps = {}
        for code, required in standard.items():
            current = max(required - rng.choice((0, 0, 0, 1, 1, 2)), 0)
            if current < required:
                gaps[code] = (current, required)
        new_cpns = rng.random() < 0.03
        persons.append(
            Person(
                f"p{n}",
                gaps,
                below_jp=rng.random() < 0.33,
                mandatory=frozenset({MANDATORY}) if new_cpns else frozenset(),
            )
        )
    courses = []
    for n in range(max(classes // 3, 2)):
        comps = rng.sample(MANAGERIAL + TECHNICAL, rng.choice((1, 2, 2, 3)))
        cost = 0 if rng.random() < 0.33 else rng.randrange(1_500_000, 7_500_001, 250_000)
        courses.append((f"C{n:04d}", {c: rng.choice((2, 3, 3, 4)) for c in comps}, cost))
    courses[0] = (MANDATORY, {"M-1": 2}, 3_000_000)
    offers = []
    year = date(2027, 1, 4)
    for n in range(classes):
        code, levels, cost = courses[n % len(courses)]
        start = year + timedelta(days=rng.randrange(0, 340))
        offers.append(
            Offer(
                f"k{n}",
                code,
                cost,
                rng.randrange(25, 41),
                start,
                start + timedelta(days=rng.choice((0, 1, 2, 2, 4))),
                levels,
                jp=20,
            )
        )
    return persons, offers


def run(name: str, people: int, classes: int, time_limit: float) -> dict[str, object]:
    """Build, solve, check; the figures."""
    persons, offers = synthetic(people, classes)
    problem = Problem(persons, offers, Rules(budget=people * 450_000, max_days_away=10), per_gap=3)
    load = os.getloadavg()[0]
    started, cpu = time.monotonic(), time.process_time()
    found = solve(problem, time_limit=time_limit)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    floor = evaluate(problem, greedy(problem))
    assert not violations(problem, found.chosen), violations(problem, found.chosen)[:3]
    margins = budget_margins(problem, found, (10_000_000,), time_limit / 4)
    return {
        "case": name,
        "people": people,
        "classes": classes,
        "candidates": found.candidates,
        "seconds": round(seconds, 2),
        # The machine is shared: CPU seconds and the load average beside the wall time.
        "cpu_seconds": round(cpu, 2),
        "load_1min": round(load, 2),
        "status": found.status,
        "objective": found.objective,
        "bound": found.bound,
        "gap_pct": round(100 * found.gap, 3),
        "greedy": floor,
        "notes": found.notes,
        "assignments": len(found.chosen),
        "spent": found.spent,
        "budget": problem.rules.budget,
        "plus_10m_gain": margins[0]["gain"],
    }


def main() -> None:
    """Both cases (or one), a Markdown table, then the JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("unit", "city"))
    parser.add_argument("--time-limit", type=float, default=0)
    args = parser.parse_args()
    cases = [("unit", 2_000, 300, 8.0), ("city", 12_000, 1_000, 50.0)]
    rows = [
        run(name, people, classes, args.time_limit or limit)
        for name, people, classes, limit in cases
        if args.only in (None, name)
    ]
    print(
        "| case | people x classes | candidate pairs | seconds | CPU s | load | status "
        "| objective | bound | gap % | greedy | assignments | +Rp 10 M adds |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['case']} | {r['people']:,} x {r['classes']:,} | {r['candidates']:,} "
            f"| {r['seconds']} | {r['cpu_seconds']} | {r['load_1min']} | {r['status']} "
            f"| {r['objective']:,} | {r['bound']:,} "
            f"| {r['gap_pct']} | {r['greedy']:,} | {r['assignments']:,} | {r['plus_10m_gain']:,} |"
        )
    print(json.dumps({"cases": rows}))


if __name__ == "__main__":
    main()
