"""A plan's solve and its budget margins, in a process of its own.

The optimizer's libraries (OR-Tools with NumPy and pandas, some 90 MB) and a solve's working
memory stay out of the web worker: each solve runs in a freshly spawned child that exits when
done, so a worker stays small and its other threads keep answering while a city plan takes
a minute. Spawned, not forked: a gthread worker has other threads whose locks a fork would
copy half-held.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from .model import Pair, Problem, Solution

# What the next 10, 50 and 100 million rupiah would add to the plan.
MARGINS = (10_000_000, 50_000_000, 100_000_000)

Margins = list[dict[str, object]]


def solve_and_price(
    problem: Problem, time_limit: float, hint: list[Pair] | None, *, apart: bool
) -> tuple[Solution, Margins]:
    """The best plan within the time limit and what each extra budget would add to it.

    `apart` runs it in a child process (production); in-process is for the tests' speed.
    """
    if not apart:
        return _solve_and_price(problem, time_limit, hint)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(_solve_and_price, problem, time_limit, hint).result()


def _solve_and_price(
    problem: Problem, time_limit: float, hint: list[Pair] | None
) -> tuple[Solution, Margins]:
    from .optimizer import budget_margins, solve  # imported here: only solving processes load it

    found = solve(problem, time_limit=time_limit, hint=hint)
    if found.status == "infeasible":
        return found, []
    return found, budget_margins(problem, found, MARGINS, time_limit / 4)
