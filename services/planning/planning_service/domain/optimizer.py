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
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .model import Offer, Pair, Problem, evaluate, levels_after, spent, upper_bound


@dataclass
class Solution:
    """A plan with its value, what the solver proved about it, and how long it took."""

    status: str  # optimal | feasible | infeasible
    chosen: list[Pair]
    objective: int
    bound: int
    spent: int
    seconds: float
    candidates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        """Relative optimality gap (0 when proven optimal)."""
        if self.bound <= 0:
            return 0.0
        return max(self.bound - self.objective, 0) / self.bound


PRESOLVE_MAX_PAIRS = 20_000


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


def greedy(problem: Problem, pairs: list[Pair] | None = None) -> list[Pair]:
    """Pins, then the best value per rupiah first (lazy re-evaluation), while rules hold."""
    state = _State(problem)
    for pair in sorted(problem.pinned):
        state.add(pair)
    heap: list[tuple[float, int, Pair]] = []
    for order, pair in enumerate(pairs if pairs is not None else problem.candidates()):
        if pair in problem.pinned:
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
    """The best plan the solver finds within the time limit, never worse than greedy."""
    started = time.monotonic()
    pairs = problem.candidates()
    for pair in problem.pinned - set(pairs):
        pairs.append(pair)  # a pin of an unknown or useless pair still binds
    floor = greedy(problem, pairs)
    model, x, steps, objective_terms = _build(problem, pairs)
    # The better of the caller's hint (an earlier plan) and greedy guides the search.
    start = floor
    if hint is not None:
        usable = [p for p in hint if p in x]
        if evaluate(problem, usable) > evaluate(problem, floor):
            start = usable
    # A complete hint (the level variables too) is a solution CP-SAT takes at once.
    chosen_start = set(start)
    for pair, var in x.items():
        model.add_hint(var, pair in chosen_start)
    reached = levels_after(problem, start)
    for (person_id, code, level), var in steps.items():
        model.add_hint(var, reached.get(person_id, {}).get(code, 0) >= level)
    model.maximize(objective_terms)
    solver = cp_model.CpSolver()
    # The limit covers building the model too, but the search always gets a fair share.
    elapsed = time.monotonic() - started
    solver.parameters.max_time_in_seconds = max(time_limit - elapsed, 0.4 * time_limit)
    solver.parameters.num_workers = workers
    # One LP-heavy worker proves far better bounds on this knapsack-like model than a
    # two-worker portfolio on two cores (measured: optimal vs 23 % gap at 300 x 60).
    solver.parameters.linearization_level = 2
    # Past some 20,000 pairs CP-SAT's presolve alone outlasts the time limit on two cores
    # (measured at 2,000 x 300: no plan in 8 s with it, the hinted plan at once without).
    solver.parameters.cp_model_presolve = len(pairs) <= PRESOLVE_MAX_PAIRS
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    notes = []
    if code == cp_model.INFEASIBLE:
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
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [pair for pair, var in x.items() if solver.value(var)]
        status = "optimal" if code == cp_model.OPTIMAL else "feasible"
        bound = int(solver.best_objective_bound + 1e-6)
    else:  # nothing found in time: the greedy plan, with a bound that needs no solver
        chosen, status = [], "feasible"
        bound = upper_bound(problem)
        notes.append("the solver found no plan in time: the greedy plan is returned")
    if evaluate(problem, chosen) < evaluate(problem, floor):
        chosen = floor
        if status == "optimal":  # cannot happen unless the model and evaluator disagree
            status = "feasible"
    chosen = prune(problem, chosen)
    objective = evaluate(problem, chosen)
    # Both bounds are valid; the model-free one is the tighter when the LP is unfinished.
    bound = objective if status == "optimal" else min(bound, upper_bound(problem))
    # A bound below the plan's value would mean the model and evaluate() disagree; the
    # model-free bound is reported then rather than a claim nobody proved.
    if bound < objective:
        bound = upper_bound(problem)
    return Solution(
        status,
        sorted(chosen),
        objective,
        bound,
        spent(problem, chosen),
        time.monotonic() - started,
        len(pairs),
        notes,
    )


def _build(
    problem: Problem, pairs: list[Pair]
) -> tuple[
    cp_model.CpModel,
    dict[Pair, cp_model.IntVar],
    dict[tuple[str, str, int], cp_model.IntVar],
    cp_model.LinearExprT,
]:
    """The CP-SAT model of `problem` over the candidate pairs."""
    rules = problem.rules
    model = cp_model.CpModel()
    x: dict[Pair, cp_model.IntVar] = {}
    by_person: dict[str, list[Pair]] = defaultdict(list)
    by_offer: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for pair in pairs:
        var = model.new_bool_var("")
        x[pair] = var
        by_person[pair[0]].append(pair)
        by_offer[pair[1]].append(var)
        if pair in problem.pinned:
            model.add(var == 1)
    cost_terms = []
    costs = []
    for pair, var in x.items():
        cost = problem.offer_by_id[pair[1]].cost
        if cost:
            cost_terms.append(var)
            costs.append(cost)
    if cost_terms:
        model.add(cp_model.LinearExpr.weighted_sum(cost_terms, costs) <= rules.budget)
    for class_id, vars_ in by_offer.items():
        seats = problem.offer_by_id[class_id].seats
        if len(vars_) > seats:
            model.add(sum(vars_) <= seats)
    steps: dict[tuple[str, str, int], cp_model.IntVar] = {}
    objective_vars: list[cp_model.IntVar] = []
    objective_coefs: list[int] = []
    for person_id, person_pairs in by_person.items():
        person = problem.person_by_id[person_id]
        offers = [problem.offer_by_id[cid] for _, cid in person_pairs]
        xs = [x[pair] for pair in person_pairs]
        paid = [v for v, o in zip(xs, offers, strict=True) if o.paid]
        if len(paid) > rules.max_classes_per_person:
            model.add(sum(paid) <= rules.max_classes_per_person)
        if sum(o.days for o in offers) > rules.max_days_away:
            model.add(
                cp_model.LinearExpr.weighted_sum(xs, [o.days for o in offers])
                <= rules.max_days_away
            )
        _one_at_a_time(model, xs, offers)
        per_course: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for var, offer in zip(xs, offers, strict=True):
            per_course[offer.course_code].append(var)
        for course_code, vars_ in per_course.items():
            if len(vars_) > 1:
                model.add(sum(vars_) <= 1)
            if course_code in person.mandatory:
                objective_vars.extend(vars_)
                objective_coefs.extend([rules.weight_mandatory] * len(vars_))
        weight = problem.weight(person)
        reaching: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
        for var, offer in zip(xs, offers, strict=True):
            for code, (start, to) in problem.closes(person, offer).items():
                for level in range(start + 1, to + 1):
                    reaching[(code, level)].append(var)
        for (code, level), vars_ in reaching.items():
            if len(vars_) == 1:  # the level is reached exactly when that one class is attended
                objective_vars.append(vars_[0])
            else:
                step = model.new_bool_var("")
                model.add(step <= sum(vars_))
                steps[(person_id, code, level)] = step
                objective_vars.append(step)
            objective_coefs.append(weight)
    objective = cp_model.LinearExpr.weighted_sum(objective_vars, objective_coefs)
    return model, x, steps, objective


def _one_at_a_time(model: cp_model.CpModel, xs: list[cp_model.IntVar], offers: list[Offer]) -> None:
    """At most one class per day: one constraint per maximal set of overlapping classes."""
    if len(offers) < 2:
        return
    order = sorted(range(len(offers)), key=lambda i: offers[i].starts_on)
    previous: set[int] = set()
    for i in order:
        day = offers[i].starts_on
        running = {j for j in order if offers[j].starts_on <= day <= offers[j].ends_on}
        if len(running) > 1 and not running <= previous:
            model.add(sum(xs[j] for j in running) <= 1)
        previous = running


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
