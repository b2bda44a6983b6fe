"""Choosing who attends what: an integer programme on OR-Tools CP-SAT, seeded by a greedy plan.

Variables: x[p,k] = person p attends class k (only useful, unforbidden pairs; pins fixed to
1) and y[p,c,l] = person p reaches level l of competency c. A level counts only when some
attended class brings the person to it (y <= sum of x over those classes), which is the
"highest level reached" reading of model.py exactly. Mandatory courses score per pair, with
at most one class per course and person. Limits: seats per class, the budget, paid classes
and days away per person, and one clique constraint per day on which a person's candidate
classes overlap (exact for intervals). The greedy plan is the solver's hint and the floor:
the answer is never worse than it.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import ortools.linear_solver.linear_solver_pb2 as linear_solver_pb2
from ortools.linear_solver.python import model_builder_helper as mb_helper
from ortools.sat.python import cp_model

from .model import (
    Offer,
    Pair,
    Person,
    Problem,
    Solution,
    evaluate,
    levels_after,
    person_bounds,
    spent,
    upper_bound,
    violations,
)

# CP-SAT searches only models with at most this many free columns: past some 20,000 its
# presolve alone outlasts the time limit on two cores, and without presolve it found
# nothing better than the hint (measured at 2,000 x 300). Larger plans keep the LP-rounded
# plan and the LP bound.
SEARCH_MAX_COLUMNS = 20_000
# People per LP block (see _relax). Larger blocks give a tighter bound (2,000 x 300: 240,794
# with 1,000, 244,156 with 500, 234,655 in one LP) but a block cut off by the time limit
# gives nothing: 500 keeps the bound coming on a loaded machine.
BLOCK_PEOPLE = 500
# Subgradient steps on the shared rows' prices after the blocks' LPs (see _refine).
REFINE_STEPS = 30


class _State:
    """A plan under construction with the running totals the rules need."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.chosen: list[Pair] = []
        self.spent = 0
        self.seats: dict[str, int] = defaultdict(int)
        self.paid: dict[str, int] = defaultdict(int)
        self.days: dict[str, int] = defaultdict(int)
        self.offers: dict[str, list[Offer]] = defaultdict(list)
        self.reached: dict[str, dict[str, int]] = defaultdict(dict)
        self.courses: dict[str, set[str]] = defaultdict(set)

    def gain(self, pair: Pair) -> int:
        """What adding the pair would add to the objective."""
        problem = self.problem
        person = problem.person_by_id[pair[0]]
        offer = problem.offer_by_id[pair[1]]
        reached = self.reached[person.id]
        levels = 0
        for code, (start, to) in problem.closes(person, offer).items():
            levels += max(to - max(reached.get(code, start), start), 0)
        value = problem.weight(person) * levels
        if (
            offer.course_code in person.mandatory
            and offer.course_code not in self.courses[person.id]
        ):
            value += problem.rules.weight_mandatory
        return value

    def fits(self, pair: Pair) -> bool:
        """Whether adding the pair keeps every rule."""
        rules = self.problem.rules
        person_id = pair[0]
        offer = self.problem.offer_by_id[pair[1]]
        return (
            self.spent + offer.cost <= rules.budget
            and self.seats[offer.id] < offer.seats
            and self.paid[person_id] + offer.paid <= rules.max_classes_per_person
            and self.days[person_id] + offer.days <= rules.max_days_away
            and offer.course_code not in self.courses[person_id]
            and not any(offer.overlaps(other) for other in self.offers[person_id])
        )

    def add(self, pair: Pair) -> None:
        """Take the pair."""
        person = self.problem.person_by_id[pair[0]]
        offer = self.problem.offer_by_id[pair[1]]
        self.chosen.append(pair)
        self.spent += offer.cost
        self.seats[offer.id] += 1
        self.paid[person.id] += offer.paid
        self.days[person.id] += offer.days
        self.offers[person.id].append(offer)
        self.courses[person.id].add(offer.course_code)
        for code, (_, to) in self.problem.closes(person, offer).items():
            self.reached[person.id][code] = max(self.reached[person.id].get(code, 0), to)


def greedy(
    problem: Problem, pairs: list[Pair] | None = None, first: list[Pair] | None = None
) -> list[Pair]:
    """Pins, then `first` in its order, then the best value per rupiah first (lazy
    re-evaluation), each only while every rule holds."""
    state = _State(problem)
    for pair in sorted(problem.pinned):
        state.add(pair)
    for pair in first or ():
        if pair not in problem.pinned and state.gain(pair) > 0 and state.fits(pair):
            state.add(pair)
    taken = set(state.chosen)
    heap: list[tuple[float, int, Pair]] = []
    for order, pair in enumerate(pairs if pairs is not None else problem.candidates()):
        if pair in taken:
            continue
        gain = state.gain(pair)
        if gain > 0:
            heap.append((-_density(problem, pair, gain), order, pair))
    heapq.heapify(heap)
    while heap:
        key, order, pair = heapq.heappop(heap)
        gain = state.gain(pair)
        if gain <= 0:
            continue
        density = _density(problem, pair, gain)
        if density < -key - 1e-12:  # worth less than when queued: requeue at its true worth
            heapq.heappush(heap, (-density, order, pair))
            continue
        if state.fits(pair):
            state.add(pair)
    return state.chosen


def _density(problem: Problem, pair: Pair, gain: int) -> float:
    # Free classes are limited by seats and days only: they come first.
    return gain / (problem.offer_by_id[pair[1]].cost + 1)


def prune(problem: Problem, chosen: list[Pair]) -> list[Pair]:
    """Drop assignments (not pinned) that add nothing: every kept one closes something."""
    providers: dict[tuple[str, str, int], int] = defaultdict(int)
    steps: dict[Pair, list[tuple[str, str, int]]] = {}
    for pair in chosen:
        person = problem.person_by_id[pair[0]]
        offer = problem.offer_by_id[pair[1]]
        mine = [
            (person.id, code, level)
            for code, (start, to) in problem.closes(person, offer).items()
            for level in range(start + 1, to + 1)
        ]
        if offer.course_code in person.mandatory:
            mine.append((person.id, "course:" + offer.course_code, 0))
        steps[pair] = mine
        for step in mine:
            providers[step] += 1
    kept = []
    for pair in sorted(chosen, key=lambda p: -problem.offer_by_id[p[1]].cost):
        if pair not in problem.pinned and all(providers[s] > 1 for s in steps[pair]):
            for step in steps[pair]:
                providers[step] -= 1
            continue
        kept.append(pair)
    return kept


def solve(
    problem: Problem,
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    seed: int = 0,
    hint: list[Pair] | None = None,
) -> Solution:
    """The best plan found within the time limit, never worse than greedy, with a proven bound.

    Stages share the limit: greedy (the floor); the LP relaxation on GLOP, in blocks of
    people, gives a bound certified from its duals and a plan (its whole assignments, then
    greedy); reduced costs fix every pair that cannot be in a better plan; CP-SAT searches
    what is left when that is small enough, seeded with the best plan so far.
    """
    started = time.monotonic()
    pairs = problem.candidates()
    for pair in problem.pinned - set(pairs):
        pairs.append(pair)  # a pin of an unknown or useless pair still binds
    if violations(problem, sorted(problem.pinned)):
        # Every limit is a "<=" with non-negative terms: the pins alone are a plan unless
        # they break a rule themselves, so this is exactly when no plan exists.
        return Solution(
            "infeasible",
            [],
            0,
            0,
            0,
            time.monotonic() - started,
            len(pairs),
            ["the pinned assignments break a rule (seats, budget, limits or overlap)"],
        )
    run = _greedy_floor(problem, pairs, started, time_limit, hint)
    form = _linear_form(problem, pairs)
    _lp_stage(run, form)
    _search_stage(run, form, workers, seed)
    return _finish(run)


@dataclass
class _Run:
    """What solve() carries from stage to stage: the best plan so far and what is proven."""

    problem: Problem
    pairs: list[Pair]  # the candidate pairs and every pin
    started: float
    time_limit: float
    best: list[Pair]
    incumbent: int  # the value of `best`
    reserve: float  # seconds kept back from the LP for what follows it (see _greedy_floor)
    bound: int = 0  # set by _lp_stage from upper_bound(), then only lowered
    status: str = "feasible"
    notes: list[str] = field(default_factory=list)
    # Columns of _linear_form that every plan better than the incumbent has at 0, and at 1.
    fixed_zero: set[int] = field(default_factory=set)
    fixed_one: set[int] = field(default_factory=set)

    @property
    def deadline(self) -> float:
        """When every stage must be done."""
        return self.started + self.time_limit

    def keep_if_better(self, plan: list[Pair]) -> None:
        """Make `plan` the best so far when it is worth more."""
        value = evaluate(self.problem, plan)
        if value > self.incumbent:
            self.best, self.incumbent = plan, value


def _greedy_floor(
    problem: Problem,
    pairs: list[Pair],
    started: float,
    time_limit: float,
    hint: list[Pair] | None,
) -> _Run:
    """The first stage: greedy's plan, the floor, or the hint's when that is better."""
    begun = time.monotonic()
    best = greedy(problem, pairs)
    incumbent = evaluate(problem, best)  # evaluate() is costly on a city: kept, not redone
    # What follows the LP (its greedy, pruning, evaluating) takes about as long as greedy
    # did: that time is kept back from the LP (measured: the city ran 12 s over with half).
    reserve = time.monotonic() - begun
    run = _Run(problem, pairs, started, time_limit, best, incumbent, reserve)
    if hint is not None:
        # The earlier plan, then greedy on the rest: a re-solve with a new pin or a larger
        # budget starts from it, and every pair is checked against the rules on the way in.
        known = set(pairs)
        run.keep_if_better(greedy(problem, pairs, first=[p for p in hint if p in known]))
    return run


def _lp_stage(run: _Run, form: _Form) -> None:
    """The bound from the LP relaxation, the LP-rounded plan when better, and the fixings."""
    run.bound = upper_bound(run.problem)
    # Nothing to bound when greedy already reaches the model-free bound (or there is no pair).
    if run.incumbent >= run.bound:
        return
    relaxed = _relax(form, run.deadline - run.reserve, run.incumbent)
    if relaxed is None:
        run.notes.append(
            "the LP relaxation did not finish in time: the bound ignores budget and seats"
        )
        return
    lp_bound, values, slack, unsolved = relaxed
    run.bound = min(run.bound, lp_bound)
    if unsolved:
        run.notes.append(
            f"{unsolved} of the LP's blocks of people did not finish in time: the bound "
            "counts their people at what they could be worth with no budget or seats"
        )
    # The LP's whole assignments, then greedy on the rest: often better than greedy
    # alone. Short of time, the rest is only the pairs the LP uses or prices at no loss
    # (the others cost more than they bring at the LP's prices): far quicker, a little
    # worse (city: 843,950 against 852,660 over every pair).
    rest = run.pairs
    if run.deadline - time.monotonic() < 2 * run.reserve:
        rest = [p for j, p in enumerate(run.pairs) if values[j] > 1e-6 or slack[j] >= -1e-6]
    run.keep_if_better(greedy(run.problem, rest, first=_by_value(form, values)))
    run.fixed_zero, run.fixed_one = _fixings(form, slack, lp_bound, run.incumbent)


def _search_stage(run: _Run, form: _Form, workers: int, seed: int) -> None:
    """CP-SAT on the columns left free, unless the plan is proven optimal already, they are
    too many, or too little time is left; then the status."""
    if run.incumbent >= run.bound:
        run.status = "optimal"
        return
    if len(form.objective) - len(run.fixed_zero) > SEARCH_MAX_COLUMNS:
        run.notes.append(
            "too many undecided pairs for the exact search: the plan is the LP-guided one, "
            "with the LP bound"
        )
        return
    if run.deadline - time.monotonic() <= 0.05 * run.time_limit:
        return
    chosen, proven, cp_bound = _search(
        run.problem, form, run.best, run.fixed_zero, run.fixed_one, run.deadline, workers, seed
    )
    run.keep_if_better(chosen)
    # Fixings only exclude plans no better than the incumbent, so the search's bound
    # holds for every plan better than that: together they bound the whole problem.
    run.bound = min(run.bound, max(cp_bound, run.incumbent))
    if proven or run.incumbent >= run.bound:
        run.status = "optimal"


def _finish(run: _Run) -> Solution:
    """The best plan without the assignments that add nothing, with its value and bound."""
    problem = run.problem
    chosen = prune(problem, run.best)
    objective = evaluate(problem, chosen)
    bound = run.bound
    if run.status == "optimal":
        bound = objective
    elif bound < objective:  # the model and evaluate() would disagree: claim nothing unproven
        bound = upper_bound(problem)
    return Solution(
        run.status,
        sorted(chosen),
        objective,
        bound,
        spent(problem, chosen),
        time.monotonic() - run.started,
        len(run.pairs),
        run.notes,
    )


@dataclass
class _Form:
    """The integer programme as "<=" rows over 0/1 columns: first one per pair (person attends
    class), then one per level step reached through two or more classes."""

    pairs: list[Pair]
    objective: list[int] = field(default_factory=list)
    lower: list[int] = field(default_factory=list)  # 1 for pins
    starts: list[int] = field(default_factory=lambda: [0])
    columns: list[int] = field(default_factory=list)
    coefs: list[int] = field(default_factory=list)
    limits: list[int] = field(default_factory=list)
    steps: list[tuple[str, str, int]] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # per column: the person's number
    caps: list[int] = field(default_factory=list)  # per person: the most they can be worth
    shared: int = 0  # the first rows (budget, seats) are shared by people; the rest each one's

    def row(self, columns: list[int], coefs: list[int], limit: int) -> None:
        """Add sum(coefs * columns) <= limit."""
        self.columns.extend(columns)
        self.coefs.extend(coefs)
        self.limits.append(limit)
        self.starts.append(len(self.columns))


def _linear_form(problem: Problem, pairs: list[Pair]) -> _Form:
    """The model of `problem` over the candidate pairs, solver-neutral.

    A level counts only when some attended class brings the person to it (step <= sum of
    those classes), which is model.py's "highest level reached" exactly. Mandatory courses
    score per pair, with at most one class per course and person. One row per day on which
    a person's candidate classes overlap, over the classes running that day (exact for
    intervals).
    """
    form = _Form(pairs)
    form.objective = [0] * len(pairs)
    form.lower = [0] * len(pairs)
    offers = [problem.offer_by_id[class_id] for _, class_id in pairs]
    by_person: dict[str, list[int]] = defaultdict(list)
    by_offer: dict[str, list[int]] = defaultdict(list)
    for column, (person_id, class_id) in enumerate(pairs):
        by_person[person_id].append(column)
        by_offer[class_id].append(column)
        if (person_id, class_id) in problem.pinned:
            form.lower[column] = 1
    _shared_rows(form, problem, offers, by_offer)
    number = {person_id: n for n, person_id in enumerate(by_person)}
    form.owner = [number[person_id] for person_id, _ in pairs]
    worth = person_bounds(problem)
    form.caps = [worth[person_id] for person_id in by_person]
    for person_id, columns in by_person.items():
        person = problem.person_by_id[person_id]
        mine = [offers[j] for j in columns]
        _person_limits(form, problem, person, columns, mine)
        _person_levels(form, problem, person, number[person_id], columns, mine)
    return form


def _shared_rows(
    form: _Form, problem: Problem, offers: list[Offer], by_offer: dict[str, list[int]]
) -> None:
    """The rows people share: the budget, then each class's seats where they can run out."""
    paid = [j for j, offer in enumerate(offers) if offer.cost]
    form.row(paid, [offers[j].cost for j in paid], problem.rules.budget)
    for class_id, columns in by_offer.items():
        seats = problem.offer_by_id[class_id].seats
        if len(columns) > seats:
            form.row(columns, [1] * len(columns), seats)
    form.shared = len(form.limits)


def _person_limits(
    form: _Form, problem: Problem, person: Person, columns: list[int], mine: list[Offer]
) -> None:
    """One person's rows (paid classes, days away, overlaps, one class per course), each
    only where their candidate classes could break it, and their mandatory courses' score."""
    rules = problem.rules
    paid = [j for j, offer in zip(columns, mine, strict=True) if offer.cost]
    if len(paid) > rules.max_classes_per_person:
        form.row(paid, [1] * len(paid), rules.max_classes_per_person)
    days = [offer.days for offer in mine]
    if sum(days) > rules.max_days_away:
        form.row(columns, days, rules.max_days_away)
    _one_at_a_time(form, columns, mine)
    per_course: dict[str, list[int]] = defaultdict(list)
    for j, offer in zip(columns, mine, strict=True):
        per_course[offer.course_code].append(j)
    for course_code, same in per_course.items():
        if len(same) > 1:
            form.row(same, [1] * len(same), 1)
        if course_code in person.mandatory:
            for j in same:
                form.objective[j] += rules.weight_mandatory


def _person_levels(
    form: _Form,
    problem: Problem,
    person: Person,
    number: int,
    columns: list[int],
    mine: list[Offer],
) -> None:
    """What one person's levels score: on the class's column when one class alone reaches
    the level, else on a step column of its own, at most the sum of the classes reaching it."""
    weight = problem.weight(person)
    reaching: dict[tuple[str, int], list[int]] = defaultdict(list)
    for j, offer in zip(columns, mine, strict=True):
        for code, (start, to) in problem.closes(person, offer).items():
            for level in range(start + 1, to + 1):
                reaching[(code, level)].append(j)
    for (code, level), through in reaching.items():
        if len(through) == 1:  # the level is reached exactly when that class is attended
            form.objective[through[0]] += weight
            continue
        step = len(form.objective)
        form.objective.append(weight)
        form.lower.append(0)
        form.owner.append(number)
        form.steps.append((person.id, code, level))
        form.row([step, *through], [1] + [-1] * len(through), 0)


def _one_at_a_time(form: _Form, columns: list[int], offers: list[Offer]) -> None:
    """At most one class per day: one row per maximal set of overlapping classes."""
    if len(offers) < 2:
        return
    order = sorted(range(len(offers)), key=lambda i: offers[i].starts_on)
    previous: set[int] = set()
    for i in order:
        day = offers[i].starts_on
        running = {j for j in order if offers[j].starts_on <= day <= offers[j].ends_on}
        if len(running) > 1 and not running <= previous:
            form.row([columns[j] for j in sorted(running)], [1] * len(running), 1)
        previous = running


@dataclass
class _Arrays:
    """A _Form's numbers as numpy arrays, one entry per column, row or term."""

    objective: np.ndarray
    lower: np.ndarray
    starts: np.ndarray
    rows: np.ndarray  # per term: its row
    columns: np.ndarray  # per term: its column
    coefs: np.ndarray
    limits: np.ndarray
    owner: np.ndarray

    @classmethod
    def of(cls, form: _Form) -> _Arrays:
        """The arrays of `form`."""
        starts = np.asarray(form.starts, dtype=np.int64)
        return cls(
            np.asarray(form.objective, dtype=np.float64),
            np.asarray(form.lower, dtype=np.float64),
            starts,
            np.repeat(np.arange(len(form.limits)), np.diff(starts)),
            np.asarray(form.columns, dtype=np.int64),
            np.asarray(form.coefs, dtype=np.float64),
            np.asarray(form.limits, dtype=np.float64),
            np.asarray(form.owner, dtype=np.int64),
        )


def _relax(
    form: _Form, deadline: float, target: int
) -> tuple[int, np.ndarray, np.ndarray, int] | None:
    """A bound on every plan from LP duals, the LP values, the certificate's reduced costs
    and how many blocks did not finish; None when no block's LP finishes before `deadline`.

    Budget and seats are the only rows shared between people. People are dealt into blocks
    of about BLOCK_PEOPLE; each block's LP (GLOP) gets its share of the budget and of each
    class's seats, so the blocks' plans together still fit. Their row duals, with the mean of
    the shared rows' duals, are one dual vector y >= 0 for the whole model, and weak duality
    gives the bound: y.limits + sum over columns of max(c - A'y, 0) (c - A'y for a pin)
    bounds every 0/1 plan for any y >= 0, so an error in GLOP or the split can only loosen
    it, never make it false. The sum is taken in float64 with a margin far above its
    rounding error, then floored (plan values are integers).
    """
    if len(form.objective) == 0:  # no pair to decide: nothing can be gained
        return 0, np.zeros(0), np.zeros(0), 0
    arrays = _Arrays.of(form)
    solved = _block_lps(form, arrays, deadline)
    if solved is None:
        return None
    duals, values, unsolved = solved
    duals = _refine(arrays, form.shared, duals, target)
    bound, slack = _certificate(form, arrays, duals)
    return bound, values, slack, unsolved


def _block_lps(
    form: _Form, arrays: _Arrays, deadline: float
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Each block's LP in turn (see _relax): (row duals, the shared rows' at the blocks'
    mean; column values; how many blocks did not finish), or None when none finished."""
    m = len(form.limits)
    starts, columns, owner = arrays.starts, arrays.columns, arrays.owner
    people = int(owner.max()) + 1
    blocks = max(round(people / BLOCK_PEOPLE), 1)
    block_of_column = owner % blocks  # people dealt round-robin: blocks alike
    block_of_row = np.full(m, -1)
    block_of_row[form.shared :] = block_of_column[columns[starts[form.shared : m]]]
    duals = np.zeros(m)
    values = np.zeros(len(form.objective))
    shared_sum = np.zeros(m)
    shared_count = np.zeros(m)
    unsolved = 0
    whole = np.bincount(arrays.rows, weights=arrays.coefs, minlength=m)
    for block in range(blocks):
        seconds = deadline - time.monotonic()  # a block that runs out ends the loop
        mine = block_of_column == block
        local_rows, local_limits = _block_rows(
            form, arrays, mine, block_of_row, block, whole, people
        )
        found = _lp(arrays, np.flatnonzero(mine), local_rows, local_limits, seconds)
        if found is None:
            unsolved += 1
            continue  # its people's rows keep dual 0: the bound stays valid, only looser
        row_duals, column_values = found
        duals[local_rows] = row_duals
        values[mine] = column_values
        shared_sum[local_rows] += row_duals
        shared_count[local_rows] += 1
    if not shared_count.any():
        return None
    # One price per shared row for the whole city: the blocks' mean.
    mean = np.divide(shared_sum, shared_count, out=np.zeros(m), where=shared_count > 0)
    duals[: form.shared] = mean[: form.shared]
    return duals, values, unsolved


def _block_rows(
    form: _Form,
    arrays: _Arrays,
    mine: np.ndarray,
    block_of_row: np.ndarray,
    block: int,
    whole: np.ndarray,
    people: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of one block's LP and their limits: its people's own rows whole, and its
    share of every shared row (-1 in `block_of_row`) it has terms in. `mine` marks the
    block's columns, `whole` is each row's sum of terms."""
    m = len(form.limits)
    rows, columns, coefs, limits = arrays.rows, arrays.columns, arrays.coefs, arrays.limits
    # A block's share of a shared row: its part of the row's terms (people for the
    # budget), so that the blocks' shares add up to the limit.
    share = np.bincount(rows, weights=np.where(mine[columns], coefs, 0.0), minlength=m)
    part = np.divide(share, whole, out=np.zeros(m), where=whole > 0)
    if form.shared:
        part[0] = np.count_nonzero(np.bincount(arrays.owner[mine], minlength=people)) / people
    local_rows = np.flatnonzero((block_of_row == block) | ((block_of_row == -1) & (part > 0)))
    local_limits = np.where(
        block_of_row[local_rows] == -1,
        limits[local_rows] * part[local_rows],
        limits[local_rows],
    )
    return local_rows, local_limits


def _certificate(form: _Form, arrays: _Arrays, duals: np.ndarray) -> tuple[int, np.ndarray]:
    """The bound that `duals` certify (see _relax) and the columns' reduced costs for
    fixing (0 where the person's model-free worth was the smaller part)."""
    n, m = len(form.objective), len(form.limits)
    starts, rows, columns = arrays.starts, arrays.rows, arrays.columns
    coefs, limits, owner = arrays.coefs, arrays.limits, arrays.owner
    terms = coefs * duals[rows]
    objective, lower = arrays.objective, arrays.lower
    slack = objective - np.bincount(columns, weights=terms, minlength=n)
    best = np.where(slack > 0, slack, slack * lower)
    # The bound splits per person given the shared prices: each person's part (own duals
    # times limits, plus their columns' best) bounds what they can add, and so does their
    # model-free worth; the smaller counts. It matters most for blocks cut off by time.
    people = len(form.caps)
    own_rows = owner[columns[starts[form.shared : m]]]
    part = np.bincount(owner, weights=best, minlength=people) + np.bincount(
        own_rows, weights=duals[form.shared :] * limits[form.shared :], minlength=people
    )
    caps = np.asarray(form.caps, dtype=np.float64)
    total = float(duals[: form.shared] @ limits[: form.shared]) + float(
        np.minimum(part, caps).sum()
    )
    # Reduced-cost fixing reads slack as what forcing a column costs the bound: true only
    # where the person's own part counted, so capped people's columns are never fixed.
    slack = np.where(part[owner] <= caps[owner], slack, 0.0)
    scale = float(np.abs(duals * limits).sum() + np.abs(objective).sum() + np.abs(terms).sum())
    margin = 1e-9 * scale + 1e-6
    return math.floor(total + margin), slack


def _refine(arrays: _Arrays, shared: int, duals: np.ndarray, target: int) -> np.ndarray:
    """Better prices for the shared rows (budget, seats), the people's own duals held: a few
    projected subgradient steps on the dual bound (Polyak steps towards `target`, the best
    plan's value), in units where every row's largest term is 1. Returns the best duals."""
    coefs, rows, columns, limits = arrays.coefs, arrays.rows, arrays.columns, arrays.limits
    n = len(arrays.objective)
    mine = rows < shared
    scale = np.zeros(shared)
    np.maximum.at(scale, rows[mine], np.abs(coefs[mine]))
    scale[scale == 0] = 1.0
    base = np.bincount(columns, weights=coefs * duals[rows] * ~mine, minlength=n)
    own = float(duals[shared:] @ limits[shared:])

    def bound(shared_duals: np.ndarray) -> tuple[float, np.ndarray]:
        priced = base + np.bincount(
            columns[mine], weights=coefs[mine] * shared_duals[rows[mine]], minlength=n
        )
        slack = arrays.objective - priced
        take = np.where(slack > 0, 1.0, arrays.lower)
        used = np.bincount(rows[mine], weights=coefs[mine] * take[columns[mine]], minlength=shared)
        value = own + float(shared_duals @ limits[:shared]) + float((slack * take).sum())
        return value, (limits[:shared] - used) / scale

    current = duals[:shared] * scale
    best_value, gradient = bound(current / scale)
    best = current.copy()
    step = 1.0
    for _ in range(REFINE_STEPS):
        norm = float(gradient @ gradient)
        if norm == 0 or best_value <= target:
            break
        current = np.maximum(current - step * (best_value - target) / norm * gradient, 0.0)
        value, gradient = bound(current / scale)
        if value < best_value:
            best_value, best = value, current.copy()
        else:
            step /= 2
    refined = duals.copy()
    refined[:shared] = best / scale
    return refined


def _lp(
    arrays: _Arrays, columns: np.ndarray, rows: np.ndarray, limits: np.ndarray, seconds: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """GLOP on the given columns and rows (other columns left out): (row duals clipped at
    0, column values), or None when it does not finish in `seconds`.

    The model goes to GLOP as one serialized request: building it through the Python
    modelling layer took longer than solving it.
    """
    if seconds <= 0:
        return None
    local = np.full(len(arrays.objective), -1)
    local[columns] = np.arange(len(columns))
    wanted = np.zeros(len(arrays.limits), dtype=bool)
    wanted[rows] = True
    nnz_columns = local[arrays.columns]
    keep = wanted[arrays.rows] & (nnz_columns >= 0)
    ends = np.cumsum(np.bincount(arrays.rows[keep], minlength=len(arrays.limits))[rows])
    kept_columns = nnz_columns[keep].tolist()
    kept_coefs = arrays.coefs[keep].tolist()
    request = linear_solver_pb2.MPModelRequest(
        solver_type=linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING,
        solver_time_limit_seconds=seconds,
    )
    model = request.model
    model.maximize = True
    add = model.variable.add
    for low, value in zip(
        arrays.lower[columns].tolist(), arrays.objective[columns].tolist(), strict=True
    ):
        add(lower_bound=low, upper_bound=1.0, objective_coefficient=value)
    add = model.constraint.add
    begin = 0
    for end, limit in zip(ends.tolist(), limits.tolist(), strict=True):
        add(
            var_index=kept_columns[begin:end],
            coefficient=kept_coefs[begin:end],
            lower_bound=-math.inf,
            upper_bound=limit,
        )
        begin = end
    solver = mb_helper.ModelSolverHelper("glop")
    response = linear_solver_pb2.MPSolutionResponse.FromString(
        solver.solve_serialized_request(request.SerializeToString())
    )
    if response.status != linear_solver_pb2.MPSOLVER_OPTIMAL:
        return None
    duals = np.maximum(np.asarray(response.dual_value, dtype=np.float64), 0.0)
    return duals, np.asarray(response.variable_value, dtype=np.float64)


def _by_value(form: _Form, values: np.ndarray) -> list[Pair]:
    """Pairs the LP takes whole, most wholly first (ties: the model's order)."""
    n = len(form.pairs)
    order = np.argsort(-values[:n], kind="stable")
    return [form.pairs[j] for j in order if values[j] > 0.999]


def _fixings(
    form: _Form, slack: np.ndarray, bound: int, incumbent: int
) -> tuple[set[int], set[int]]:
    """Columns every plan better than `incumbent` has at 0, and those it has at 1.

    Forcing a column against its reduced cost lowers the certificate (before flooring, at
    most `bound` + 1) by |slack|; below incumbent + 1 no better plan is left, so the column
    is fixed (reduced-cost fixing). `bound` includes the certificate's float margin.
    """
    room = bound - incumbent
    lower = np.asarray(form.lower)
    zero = np.flatnonzero((slack < -room) & (lower == 0))
    one = np.flatnonzero((slack > room) & (lower == 0))
    return set(zero.tolist()), set(one.tolist())


def _search(
    problem: Problem,
    form: _Form,
    start: list[Pair],
    fixed_zero: set[int],
    fixed_one: set[int],
    deadline: float,
    workers: int,
    seed: int,
) -> tuple[list[Pair], bool, int]:
    """CP-SAT over the columns left free: (its best plan, proven optimal, its bound).

    The fixings hold only for plans better than `start`; when CP-SAT proves that none is
    left (infeasible), `start` is optimal, said by a bound of -1.
    """
    model = cp_model.CpModel()
    n = len(form.objective)
    var = {j: model.new_bool_var("") for j in range(n) if j not in fixed_zero}
    for j in var:
        if form.lower[j] or j in fixed_one:
            model.add(var[j] == 1)
    starts = form.starts
    for r, limit in enumerate(form.limits):
        a, b = starts[r], starts[r + 1]
        kept = [(var[j], c) for j, c in zip(form.columns[a:b], form.coefs[a:b], strict=True)
                if j in var]  # fmt: skip
        if len(kept) == 1 and kept[0][1] <= limit:
            continue  # a 0/1 column alone cannot break it
        model.add(
            cp_model.LinearExpr.weighted_sum([v for v, _ in kept], [c for _, c in kept]) <= limit
        )
    model.maximize(
        cp_model.LinearExpr.weighted_sum(list(var.values()), [form.objective[j] for j in var])
    )
    # A complete hint (the level columns too) is a solution CP-SAT takes at once.
    chosen = set(start)
    for j, pair in enumerate(form.pairs):
        if j in var:
            model.add_hint(var[j], pair in chosen)
    reached = levels_after(problem, start)
    for offset, (person_id, code, level) in enumerate(form.steps):
        j = len(form.pairs) + offset
        if j in var:
            model.add_hint(var[j], reached.get(person_id, {}).get(code, 0) >= level)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(deadline - time.monotonic(), 0.1)
    solver.parameters.num_workers = workers
    # One LP-heavy worker proves far better bounds on this knapsack-like model than a
    # two-worker portfolio on two cores (measured: optimal vs 23 % gap at 300 x 60).
    solver.parameters.linearization_level = 2
    solver.parameters.random_seed = seed
    outcome = solver.solve(model)
    if outcome == cp_model.INFEASIBLE:
        return [], True, -1
    if outcome not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], False, upper_bound(problem)
    plan = [pair for j, pair in enumerate(form.pairs) if j in var and solver.value(var[j])]
    return plan, outcome == cp_model.OPTIMAL, int(solver.best_objective_bound + 1e-6)


def budget_margins(
    problem: Problem, base: Solution, extras: tuple[int, ...], time_limit: float
) -> list[dict[str, object]]:
    """What each extra amount of budget would add, solved from the current plan as a hint."""
    from .model import Problem as _Problem
    from .model import Rules, levels_closed

    results = []
    for extra in extras:
        rules = Rules(**{**problem.rules.__dict__, "budget": problem.rules.budget + extra})
        richer = _Problem(
            problem.people,
            problem.offers,
            rules,
            problem.pinned,
            problem.forbidden,
            problem.per_gap,
        )
        found = solve(richer, time_limit=time_limit, hint=base.chosen)
        results.append(
            {
                "extra": extra,
                "objective": found.objective,
                "gain": found.objective - base.objective,
                "levels_gain": levels_closed(richer, found.chosen)
                - levels_closed(problem, base.chosen),
                "spent": found.spent,
                "status": found.status,
                "bound": found.bound,
            }
        )
    return results
