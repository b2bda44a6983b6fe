"""The planning problem in plain data, what a plan is worth, and which rules it breaks.

No solver and no Flask here: the optimizer, the greedy heuristic and the tests all judge a
plan with `evaluate` and `violations`, so the integer programme can be checked against an
independent reading of the rules.

A person's level in a competency after the plan is the highest level any class they attend
brings them to (a course brings a learner *to* a level, so two level-2 courses close no more
than one); the gap closed is that level, capped at the required one, minus the current level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

Pair = tuple[str, str]  # (person_id, class_id)


@dataclass(frozen=True)
class Person:
    """Someone who may be planned: gaps as {code: (current, required)}, priorities."""

    id: str
    gaps: Mapping[str, tuple[int, int]]
    below_jp: bool = False
    mandatory: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Offer:
    """A class on offer: cost per participant, seats left, dates, levels it brings learners to."""

    id: str
    course_code: str
    cost: int
    seats: int
    starts_on: date
    ends_on: date
    levels: Mapping[str, int]
    jp: int = 0

    @property
    def days(self) -> int:
        """Days away from work (both ends counted)."""
        return (self.ends_on - self.starts_on).days + 1

    @property
    def paid(self) -> bool:
        """Whether it costs the budget anything."""
        return self.cost > 0

    def overlaps(self, other: Offer) -> bool:
        """Whether the two classes share a day."""
        return self.starts_on <= other.ends_on and other.starts_on <= self.ends_on


@dataclass(frozen=True)
class Rules:
    """Limits and priorities of one plan."""

    budget: int
    max_classes_per_person: int = 2
    max_days_away: int = 10
    # Priorities as weights per level closed: people below the JP target count three times,
    # a mandatory course more than anyone's whole gap (9 managerial x 5 levels x 30 < 2000).
    weight_level: int = 10
    weight_level_below_jp: int = 30
    weight_mandatory: int = 2000


@dataclass
class Problem:
    """Everything a plan is chosen from."""

    people: list[Person]
    offers: list[Offer]
    rules: Rules
    pinned: set[Pair] = field(default_factory=set)
    forbidden: set[Pair] = field(default_factory=set)
    # Keep at most this many classes per person and gap competency (the ones closing most,
    # then cheapest, then soonest); None keeps every useful pair. Pins and mandatory stay.
    per_gap: int | None = None

    def __post_init__(self) -> None:
        self.person_by_id = {p.id: p for p in self.people}
        self.offer_by_id = {o.id: o for o in self.offers}
        self._closes: dict[Pair, dict[str, tuple[int, int]]] = {}
        self.pruned = 0

    def weight(self, person: Person) -> int:
        """Value of one level closed for this person."""
        rules = self.rules
        return rules.weight_level_below_jp if person.below_jp else rules.weight_level

    def closes(self, person: Person, offer: Offer) -> dict[str, tuple[int, int]]:
        """{code: (from, to)} the offer alone would raise the person's gaps by."""
        key = (person.id, offer.id)
        found = self._closes.get(key)
        if found is None:
            found = self._closes[key] = self._raise(person, offer)
        return found

    def _raise(self, person: Person, offer: Offer) -> dict[str, tuple[int, int]]:
        out = {}
        for code, level in offer.levels.items():
            gap = person.gaps.get(code)
            if gap is not None and level > gap[0]:
                out[code] = (gap[0], min(level, gap[1]))
        return out

    def useful(self, person: Person, offer: Offer) -> bool:
        """Whether attending could add value for this person."""
        return offer.course_code in person.mandatory or bool(self.closes(person, offer))

    def candidates(self) -> list[Pair]:
        """Pairs worth deciding on: useful or pinned, never forbidden; stable order."""
        pairs: list[Pair] = []
        # Per competency and required level, offers best first: closing most (up to that
        # level), then cheapest, then soonest. A person takes the first ones above their level.
        ranked: dict[tuple[str, int], list[Offer]] = {}
        by_code: dict[str, list[Offer]] = defaultdict(list)
        for offer in self.offers:
            for code in offer.levels:
                by_code[code].append(offer)
        by_course: dict[str, list[Offer]] = defaultdict(list)
        for offer in self.offers:
            by_course[offer.course_code].append(offer)
        pins: dict[str, set[str]] = defaultdict(set)
        for person_id, class_id in self.pinned:
            pins[person_id].add(class_id)
        self.pruned = 0
        for index, person in enumerate(self.people):
            keep = set(pins.get(person.id, ()))
            for course_code in person.mandatory:
                keep.update(
                    o.id
                    for o in by_course.get(course_code, ())
                    if (person.id, o.id) not in self.forbidden
                )
            for code, (current, required) in person.gaps.items():
                key = (code, required)
                if key not in ranked:
                    ranked[key] = sorted(
                        by_code.get(code, ()),
                        key=lambda o, c=code, r=required: (
                            -min(o.levels[c], r),
                            o.cost,
                            o.starts_on,
                        ),
                    )
                useful = [
                    o
                    for o in ranked[key]
                    if o.levels[code] > current and (person.id, o.id) not in self.forbidden
                ]
                if self.per_gap is not None and len(useful) > self.per_gap:
                    # Everyone with the same gap ranks classes alike: taking the same top few
                    # would fill them and leave the rest unplanned, so each person gets a
                    # different few from the best eight times as many.
                    self.pruned += len(useful) - self.per_gap
                    window = useful[: self.per_gap * 8]
                    first = (index * self.per_gap) % len(window)
                    useful = (window + window)[first : first + self.per_gap]
                keep.update(o.id for o in useful)
            pairs.extend((person.id, class_id) for class_id in sorted(keep))
        return pairs


def upper_bound(problem: Problem) -> int:
    """A bound no plan can beat: every gap closed as far as any class reaches, every
    mandatory course with a class attended (budget, seats and limits ignored)."""
    return sum(person_bounds(problem).values())


def person_bounds(problem: Problem) -> dict[str, int]:
    """upper_bound() person by person: the most each one can add to any plan."""
    best: dict[str, int] = defaultdict(int)
    courses = {o.course_code for o in problem.offers}
    for offer in problem.offers:
        for code, level in offer.levels.items():
            best[code] = max(best[code], level)
    found = {}
    for person in problem.people:
        levels = sum(
            max(min(best.get(code, 0), required) - current, 0)
            for code, (current, required) in person.gaps.items()
        )
        found[person.id] = problem.weight(person) * levels + problem.rules.weight_mandatory * len(
            person.mandatory & courses
        )
    return found


def levels_after(problem: Problem, chosen: Iterable[Pair]) -> dict[str, dict[str, int]]:
    """Each planned person's level per gap competency after the plan."""
    reached: dict[str, dict[str, int]] = defaultdict(dict)
    for person_id, class_id in chosen:
        person = problem.person_by_id[person_id]
        offer = problem.offer_by_id[class_id]
        for code, (_, to) in problem.closes(person, offer).items():
            reached[person_id][code] = max(reached[person_id].get(code, 0), to)
    return reached


def evaluate(problem: Problem, chosen: Iterable[Pair]) -> int:
    """The plan's value: weighted levels closed plus mandatory courses attended."""
    chosen = list(chosen)
    value = 0
    for person_id, levels in levels_after(problem, chosen).items():
        person = problem.person_by_id[person_id]
        closed = sum(to - person.gaps[code][0] for code, to in levels.items())
        value += problem.weight(person) * closed
    mandatory = {
        (pid, problem.offer_by_id[cid].course_code)
        for pid, cid in chosen
        if problem.offer_by_id[cid].course_code in problem.person_by_id[pid].mandatory
    }
    return value + problem.rules.weight_mandatory * len(mandatory)


def levels_closed(problem: Problem, chosen: Iterable[Pair]) -> int:
    """Levels of gap closed, unweighted."""
    total = 0
    for person_id, levels in levels_after(problem, chosen).items():
        gaps = problem.person_by_id[person_id].gaps
        total += sum(to - gaps[code][0] for code, to in levels.items())
    return total


def spent(problem: Problem, chosen: Iterable[Pair]) -> int:
    """Rupiah the plan costs."""
    return sum(problem.offer_by_id[cid].cost for _, cid in chosen)


def violations(problem: Problem, chosen: Iterable[Pair]) -> list[str]:
    """Every rule the plan breaks, in words; empty when it keeps them all."""
    chosen = list(chosen)
    rules = problem.rules
    found: list[str] = []
    if len(set(chosen)) != len(chosen):
        found.append("an assignment appears twice")
    if spent(problem, chosen) > rules.budget:
        found.append(f"spends {spent(problem, chosen)} over the budget {rules.budget}")
    taken: dict[str, int] = defaultdict(int)
    by_person: dict[str, list[Offer]] = defaultdict(list)
    for person_id, class_id in set(chosen):
        if (person_id, class_id) in problem.forbidden:
            found.append(f"{person_id} in {class_id} is forbidden")
        taken[class_id] += 1
        by_person[person_id].append(problem.offer_by_id[class_id])
    for class_id, count in taken.items():
        if count > problem.offer_by_id[class_id].seats:
            found.append(f"{class_id} holds {count} for {problem.offer_by_id[class_id].seats}")
    for person_id, offers in by_person.items():
        if sum(o.paid for o in offers) > rules.max_classes_per_person:
            found.append(f"{person_id} has more than {rules.max_classes_per_person} paid classes")
        if sum(o.days for o in offers) > rules.max_days_away:
            found.append(f"{person_id} is away more than {rules.max_days_away} days")
        for i, first in enumerate(offers):
            for second in offers[i + 1 :]:
                if first.overlaps(second):
                    found.append(f"{person_id} has {first.id} and {second.id} at the same time")
                if first.course_code == second.course_code:
                    found.append(f"{person_id} attends {first.course_code} twice")
    missing = problem.pinned - set(chosen)
    if missing:
        found.append(f"pinned assignments left out: {sorted(missing)}")
    return found


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
