"""SCORM 2004 sequencing and navigation (SN book, 4th edition), as pure functions.

The activity tree is plain data built from the manifest (`Activity`, see
`activity_from_dict`); the learner's tracking state is a JSON-able dict (`new_tracking`)
that the caller stores. `navigate(tree, tracking, request, target)` runs the overall
sequencing process for one navigation request (NB.2.1 -> TB.2.3 -> SB.2.12 -> DB.1.1 ->
DB.2) and says which leaf to deliver; `report(...)` maps a SCO's run-time data onto its
activity (RTE 4.2 -> SN 4.2) and rolls it up (RB.1.5).

Implemented: control modes (choice, choiceExit, flow, forwardOnly), preconditions
(skip, disabled, hiddenFromChoice), limit conditions (attemptLimit), exit and
post-condition rules (exit, exitParent, exitAll, retry, retryAll, continue, previous),
rollup rules and the default rollup of satisfaction, completion, objective measure
(weighted) and completion measure (4th ed. progress weights) with the rollup
considerations, objectives with read/write maps to global objectives (where the globals
live, per attempt or per learner, is the caller's: `Tree.global_to_system`), suspended
activities (cmi.exit suspend), suspendAll/resumeAll, exit, exitAll, abandon and
abandonAll. Not implemented: time limits (always within limits), randomization and
selection (children keep manifest order), jump, constrainChoice/preventActivation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Tracking = dict[str, Any]

CONTROL_DEFAULTS = {
    "choice": True,
    "choiceExit": True,
    "flow": False,
    "forwardOnly": False,
}
CONSIDERATION_DEFAULTS = {
    "requiredForSatisfied": "always",
    "requiredForNotSatisfied": "always",
    "requiredForCompleted": "always",
    "requiredForIncomplete": "always",
    "measureSatisfactionIfActive": True,
}


@dataclass
class Objective:
    """One objective of an activity; maps name global objectives (imsss:mapInfo)."""

    id: str
    primary: bool = False
    satisfied_by_measure: bool = False
    min_measure: float = 1.0
    maps: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Activity:
    """A node of the activity tree with its sequencing definition (defaults per SN 3)."""

    id: str
    title: str = ""
    visible: bool = True
    leaf_resource: bool = False
    children: list[Activity] = field(default_factory=list)
    parent: Activity | None = field(default=None, repr=False)
    control: dict[str, bool] = field(default_factory=lambda: dict(CONTROL_DEFAULTS))
    pre: list[dict[str, Any]] = field(default_factory=list)
    exit: list[dict[str, Any]] = field(default_factory=list)
    post: list[dict[str, Any]] = field(default_factory=list)
    attempt_limit: int | None = None
    rollup_satisfied: bool = True
    rollup_completion: bool = True
    measure_weight: float = 1.0
    rollup_rules: list[dict[str, Any]] = field(default_factory=list)
    considerations: dict[str, Any] = field(default_factory=lambda: dict(CONSIDERATION_DEFAULTS))
    objectives: list[Objective] = field(default_factory=list)
    tracked: bool = True
    completion_set_by_content: bool = False
    objective_set_by_content: bool = False
    # adlcp:completionThreshold (4th ed.): completion decided by the completion measure.
    completed_by_measure: bool = False
    min_progress_measure: float = 1.0
    progress_weight: float = 1.0

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def primary(self) -> Objective:
        for objective in self.objectives:
            if objective.primary:
                return objective
        # Every activity has a primary objective, even when the manifest names none.
        objective = Objective(id="", primary=True)
        self.objectives.insert(0, objective)
        return objective


def activity_from_dict(data: dict[str, Any], parent: Activity | None = None) -> Activity:
    """An Activity (and its subtree) from the dict the manifest parser stores."""
    act = Activity(
        id=data["id"],
        title=data.get("title", ""),
        visible=data.get("visible", True),
        leaf_resource=data.get("launch", False),
        parent=parent,
        control={**CONTROL_DEFAULTS, **data.get("control", {})},
        pre=data.get("pre", []),
        exit=data.get("exit", []),
        post=data.get("post", []),
        attempt_limit=data.get("attempt_limit"),
        rollup_satisfied=data.get("rollup_satisfied", True),
        rollup_completion=data.get("rollup_completion", True),
        measure_weight=data.get("measure_weight", 1.0),
        rollup_rules=data.get("rollup_rules", []),
        considerations={**CONSIDERATION_DEFAULTS, **data.get("considerations", {})},
        objectives=[
            Objective(
                id=o.get("id", ""),
                primary=o.get("primary", False),
                satisfied_by_measure=o.get("satisfied_by_measure", False),
                min_measure=o.get("min_measure", 1.0),
                maps=o.get("maps", []),
            )
            for o in data.get("objectives", [])
        ],
        tracked=data.get("tracked", True),
        completion_set_by_content=data.get("completion_set_by_content", False),
        objective_set_by_content=data.get("objective_set_by_content", False),
        completed_by_measure=data.get("completed_by_measure", False),
        min_progress_measure=data.get("min_progress_measure", 1.0),
        progress_weight=data.get("progress_weight", 1.0),
    )
    act.primary()
    act.children = [activity_from_dict(c, act) for c in data.get("children", [])]
    return act


class Tree:
    """The activity tree with lookups by identifier and preorder position."""

    def __init__(self, root: Activity, global_to_system: bool = True) -> None:
        self.root = root
        # adlseq:objectivesGlobalToSystem (default true): the global objectives this tree
        # maps to are the learner's across every tree, not only this attempt's.
        self.global_to_system = global_to_system
        self.order: list[Activity] = list(_preorder(root))
        self.by_id = {a.id: a for a in self.order}
        self.position = {a.id: i for i, a in enumerate(self.order)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tree:
        return cls(activity_from_dict(data), data.get("objectives_global_to_system", True))

    def global_targets(self) -> set[str]:
        """Every global objective some activity of the tree maps to."""
        return {m["target"] for a in self.order for o in a.objectives for m in o.maps}

    def leaves(self) -> list[Activity]:
        return [a for a in self.order if a.is_leaf]


def _preorder(act: Activity) -> Iterator[Activity]:
    yield act
    for child in act.children:
        yield from _preorder(child)


def _path_to_root(act: Activity) -> list[Activity]:
    """act, its parent, ..., root."""
    out = []
    node: Activity | None = act
    while node is not None:
        out.append(node)
        node = node.parent
    return out


def _common_ancestor(a: Activity, b: Activity) -> Activity:
    ancestors = {id(x) for x in _path_to_root(a)}
    for node in _path_to_root(b):
        if id(node) in ancestors:
            return node
    raise AssertionError("activities of one tree share the root")


# ---------------------------------------------------------------- tracking state


def new_tracking() -> Tracking:
    """Empty tracking: no activity attempted, no current activity, no globals."""
    return {"activities": {}, "globals": {}, "current": None, "suspended": None, "ended": False}


def _blank_activity() -> dict[str, Any]:
    return {
        "attempts": 0,
        "active": False,
        "suspended": False,
        "progress_known": False,
        "completed": False,
        "amount_known": False,  # attempt completion amount (4th ed. progress measure)
        "amount": 0.0,
        "objectives": {},
    }


def _t(tracking: Tracking, act: Activity) -> dict[str, Any]:
    return tracking["activities"].setdefault(act.id, _blank_activity())


def _blank_objective() -> dict[str, Any]:
    return {"status_known": False, "satisfied": False, "measure_known": False, "measure": 0.0}


def _local(tracking: Tracking, act: Activity, obj: Objective) -> dict[str, Any]:
    return _t(tracking, act)["objectives"].setdefault(obj.id or "#primary", _blank_objective())


def _global(tracking: Tracking, target: str) -> dict[str, Any]:
    return tracking["globals"].setdefault(target, _blank_objective())


def objective_status(tracking: Tracking, act: Activity, obj: Objective) -> dict[str, Any]:
    """The objective as sequencing reads it: a known global value behind a read map wins."""
    value = dict(_local(tracking, act, obj))
    for m in obj.maps:
        g = tracking["globals"].get(m["target"])
        if g is None:
            continue
        if m.get("read_satisfied", True) and g["status_known"]:
            value["status_known"], value["satisfied"] = True, g["satisfied"]
        if m.get("read_measure", True) and g["measure_known"]:
            value["measure_known"], value["measure"] = True, g["measure"]
    if obj.satisfied_by_measure and value["measure_known"]:
        active = _t(tracking, act)["active"]
        if not active or act.considerations.get("measureSatisfactionIfActive", True):
            value["status_known"] = True
            value["satisfied"] = value["measure"] >= obj.min_measure
    return value


def _set_objective(
    tracking: Tracking,
    act: Activity,
    obj: Objective,
    *,
    satisfied: bool | None = None,
    measure: float | None = None,
    clear_status: bool = False,
    clear_measure: bool = False,
) -> None:
    """Write an objective locally and through its write maps."""
    records: list[tuple[dict[str, Any], bool, bool]] = [(_local(tracking, act, obj), True, True)]
    for m in obj.maps:
        writes_status, writes_measure = (
            m.get("write_satisfied", False),
            m.get("write_measure", False),
        )
        if writes_status or writes_measure:
            records.append((_global(tracking, m["target"]), writes_status, writes_measure))
    for record, status, measured in records:
        if status:
            if clear_status:
                record["status_known"] = False
            elif satisfied is not None:
                record["status_known"], record["satisfied"] = True, satisfied
        if measured:
            if clear_measure:
                record["measure_known"] = False
            elif measure is not None:
                record["measure_known"], record["measure"] = True, measure


# ---------------------------------------------------------------- rule conditions


def _condition(tracking: Tracking, act: Activity, cond: dict[str, Any]) -> bool:
    """One sequencing rule condition (UP.1 / SN 3.4.2); time conditions are never met."""
    name = cond["condition"]
    objective = act.primary()
    ref = cond.get("objective")
    if ref:
        objective = next((o for o in act.objectives if o.id == ref), objective)
    status = objective_status(tracking, act, objective)
    t = _t(tracking, act)
    if name == "satisfied":
        result = status["status_known"] and status["satisfied"]
    elif name == "objectiveStatusKnown":
        result = status["status_known"]
    elif name == "objectiveMeasureKnown":
        result = status["measure_known"]
    elif name == "objectiveMeasureGreaterThan":
        result = status["measure_known"] and status["measure"] > cond.get("threshold", 0.0)
    elif name == "objectiveMeasureLessThan":
        result = status["measure_known"] and status["measure"] < cond.get("threshold", 0.0)
    elif name == "completed":
        result = t["progress_known"] and t["completed"]
    elif name == "activityProgressKnown":
        result = t["progress_known"]
    elif name == "attempted":
        result = t["attempts"] > 0
    elif name == "attemptLimitExceeded":
        result = act.attempt_limit is not None and 0 < act.attempt_limit <= t["attempts"]
    elif name == "always":
        result = True
    else:  # timeLimitExceeded, outsideAvailableTimeRange: no time limits are kept
        result = False
    return not result if cond.get("operator") == "not" else result


def _rule_fires(tracking: Tracking, act: Activity, rule: dict[str, Any]) -> bool:
    results = [_condition(tracking, act, c) for c in rule.get("conditions", [])]
    if not results:
        return False
    return any(results) if rule.get("combination") == "any" else all(results)


def _rules_check(
    tracking: Tracking, act: Activity, rules: list[dict[str, Any]], actions: set[str]
) -> str | None:
    """Sequencing Rules Check Process (UP.2): the action of the first rule that fires."""
    for rule in rules:
        if rule["action"] in actions and _rule_fires(tracking, act, rule):
            return str(rule["action"])
    return None


def _skipped(tracking: Tracking, act: Activity) -> bool:
    return _rules_check(tracking, act, act.pre, {"skip"}) is not None


def _disabled(tracking: Tracking, act: Activity) -> bool:
    return _rules_check(tracking, act, act.pre, {"disabled"}) is not None


def _hidden_from_choice(tracking: Tracking, act: Activity) -> bool:
    return _rules_check(tracking, act, act.pre, {"hiddenFromChoice"}) is not None


def _limit_exceeded(tracking: Tracking, act: Activity) -> bool:
    """Limit Conditions Check Process (UP.1): only the attempt limit is kept."""
    t = _t(tracking, act)
    if act.attempt_limit is None or act.attempt_limit <= 0:
        return False
    # An activity in progress may continue its attempt; a new attempt needs room.
    if t["active"] or t["suspended"]:
        return False
    return t["attempts"] >= act.attempt_limit


def _check_activity(tracking: Tracking, act: Activity) -> bool:
    """Check Activity Process (UP.5): True when the activity may NOT be delivered."""
    return _disabled(tracking, act) or _limit_exceeded(tracking, act)


# ---------------------------------------------------------------- rollup


def _contributes(tracking: Tracking, child: Activity, key: str, negative: bool) -> bool:
    """Check Child for Rollup Subprocess (RB.1.4.2)."""
    if not child.tracked:
        return False
    if key == "satisfied" and not child.rollup_satisfied:
        return False
    if key == "completed" and not child.rollup_completion:
        return False
    considerations = child.considerations
    name = {
        ("satisfied", False): "requiredForSatisfied",
        ("satisfied", True): "requiredForNotSatisfied",
        ("completed", False): "requiredForCompleted",
        ("completed", True): "requiredForIncomplete",
    }[(key, negative)]
    rule = considerations.get(name, "always")
    t = _t(tracking, child)
    if rule == "ifAttempted":
        return t["attempts"] > 0
    if rule == "ifNotSkipped":
        return not _skipped(tracking, child)
    if rule == "ifNotSuspended":
        return not (t["attempts"] > 0 and t["suspended"])
    return True


def _rollup_condition(tracking: Tracking, child: Activity, cond: dict[str, Any]) -> bool:
    name = cond["condition"]
    result = name != "never" and _condition(tracking, child, {"condition": name})
    return not result if cond.get("operator") == "not" else result


def _rollup_rule_fires(tracking: Tracking, act: Activity, rule: dict[str, Any], key: str) -> bool:
    """Rollup Rule Check Subprocess (RB.1.4): child activity set, counts, conditions."""
    negative = rule["action"] in ("notSatisfied", "incomplete")
    children = [c for c in act.children if _contributes(tracking, c, key, negative)]
    if not children:
        return False
    hits = []
    for child in children:
        results = [_rollup_condition(tracking, child, c) for c in rule.get("conditions", [])]
        combined = any(results) if rule.get("combination", "any") == "any" else all(results)
        hits.append(bool(results) and combined)
    count = sum(hits)
    which = rule.get("child_activity_set", "all")
    if which == "all":
        return count == len(hits)
    if which == "any":
        return count > 0
    if which == "none":
        return count == 0
    if which == "atLeastCount":
        return count >= int(rule.get("minimum_count", 0))
    if which == "atLeastPercent":
        return count / len(hits) >= float(rule.get("minimum_percent", 0.0))
    return False


_DEFAULT_SATISFACTION = [
    {"action": "notSatisfied", "child_activity_set": "all",
     "conditions": [{"condition": "objectiveStatusKnown"}]},
    {"action": "satisfied", "child_activity_set": "all",
     "conditions": [{"condition": "satisfied"}]},
]  # fmt: skip
_DEFAULT_COMPLETION = [
    {"action": "incomplete", "child_activity_set": "all",
     "conditions": [{"condition": "activityProgressKnown"}]},
    {"action": "completed", "child_activity_set": "all",
     "conditions": [{"condition": "completed"}]},
]  # fmt: skip


def _measure_rollup(tracking: Tracking, act: Activity) -> None:
    """Measure Rollup Process (RB.1.1): weighted average of the children's measures."""
    total = counted = 0.0
    known = False
    for child in act.children:
        if not child.tracked:
            continue
        counted += child.measure_weight
        status = objective_status(tracking, child, child.primary())
        if status["measure_known"]:
            known = True
            total += status["measure"] * child.measure_weight
    primary = act.primary()
    if known and counted > 0:
        _set_objective(tracking, act, primary, measure=total / counted)
    else:
        _set_objective(tracking, act, primary, clear_measure=True)


def _objective_rollup(tracking: Tracking, act: Activity) -> None:
    """Objective Rollup Process (RB.1.2): by measure, by rules, or by the default rules."""
    primary = act.primary()
    status = objective_status(tracking, act, primary)
    if primary.satisfied_by_measure:
        # RB.1.2a: an active activity is judged by its measure only if the package says so.
        judged = not _t(tracking, act)["active"] or act.considerations.get(
            "measureSatisfactionIfActive", True
        )
        if status["measure_known"] and judged:
            _set_objective(
                tracking, act, primary, satisfied=status["measure"] >= primary.min_measure
            )
        else:
            _set_objective(tracking, act, primary, clear_status=True)
        return
    rules = [r for r in act.rollup_rules if r["action"] in ("satisfied", "notSatisfied")]
    # notSatisfied rules first, then satisfied: a satisfied rule that fires wins.
    rules = rules or _DEFAULT_SATISFACTION
    result: bool | None = None
    for action in ("notSatisfied", "satisfied"):
        for rule in rules:
            if rule["action"] == action and _rollup_rule_fires(tracking, act, rule, "satisfied"):
                result = action == "satisfied"
                break
    if result is None:
        _set_objective(tracking, act, primary, clear_status=True)
    else:
        _set_objective(tracking, act, primary, satisfied=result)


def _completion_measure_rollup(tracking: Tracking, act: Activity) -> None:
    """Completion Measure Rollup Process (RB.1.1b): the children's completion amounts,
    weighted by their progress weights."""
    total = counted = 0.0
    known = False
    for child in act.children:
        if not child.tracked:
            continue
        counted += child.progress_weight
        t = _t(tracking, child)
        if t.get("amount_known"):
            known = True
            total += t["amount"] * child.progress_weight
    t = _t(tracking, act)
    if known and counted > 0:
        t["amount_known"], t["amount"] = True, total / counted
    else:
        t["amount_known"] = False


def _progress_rollup(tracking: Tracking, act: Activity) -> None:
    """Activity Progress Rollup Process (RB.1.3): by measure (RB.1.3a) or by rules."""
    t = _t(tracking, act)
    if act.completed_by_measure:
        if t.get("amount_known"):
            t["progress_known"] = True
            t["completed"] = t["amount"] >= act.min_progress_measure
        else:
            t["progress_known"] = False
        return
    rules = [r for r in act.rollup_rules if r["action"] in ("completed", "incomplete")]
    rules = rules or _DEFAULT_COMPLETION
    result: bool | None = None
    for action in ("incomplete", "completed"):
        for rule in rules:
            if rule["action"] == action and _rollup_rule_fires(tracking, act, rule, "completed"):
                result = action == "completed"
                break
    if result is None:
        t["progress_known"] = False
    else:
        t["progress_known"], t["completed"] = True, result


def rollup(tree: Tree, tracking: Tracking, act: Activity) -> None:
    """Overall Rollup Process (RB.1.5): from act's parent up to the root."""
    node = act.parent
    while node is not None:
        _rollup_node(tracking, node)
        node = node.parent


def _rollup_node(tracking: Tracking, act: Activity) -> None:
    """Measure, completion measure, objective and progress rollup of one cluster."""
    _measure_rollup(tracking, act)
    _completion_measure_rollup(tracking, act)
    _objective_rollup(tracking, act)
    _progress_rollup(tracking, act)


def root_status(tree: Tree, tracking: Tracking) -> tuple[str, str, float | None]:
    """(completion, success, scaled measure) of the root activity: the module's result."""
    t = _t(tracking, tree.root)
    status = objective_status(tracking, tree.root, tree.root.primary())
    if t["progress_known"]:
        completion = "completed" if t["completed"] else "incomplete"
    else:
        completion = "incomplete" if t["attempts"] else "not_attempted"
    success = "unknown"
    if status["status_known"]:
        success = "passed" if status["satisfied"] else "failed"
    measure = status["measure"] if status["measure_known"] else None
    return completion, success, measure


def result_is_final(tree: Tree, tracking: Tracking) -> bool:
    """Whether the root's rollup can be announced as the module's result now.

    Without exit or post-condition rules nothing can undo a rollup, so it counts at
    once; with them (a retry loop), only once the root's attempt has ended.
    """
    if not any(a.exit or a.post for a in tree.order):
        return True
    return not _t(tracking, tree.root)["active"]


# ---------------------------------------------------------------- run-time data


def report(
    tree: Tree,
    tracking: Tracking,
    activity_id: str,
    cmi: dict[str, str],
    *,
    suspended: bool | None = None,
) -> None:
    """Map a SCO's run-time data onto its activity (RTE 4.2 -> SN 4.2) and roll up.

    The statuses are the ones the LMS evaluates (RTE 4.2.4.1, 4.2.22): with a completion
    threshold the progress measure decides completion, with a scaled passing score the
    scaled score decides success. `suspended` is given when the SCO's session ends:
    whether it exited with cmi.exit "suspend", which suspends its activity's attempt.
    """
    act = tree.by_id.get(activity_id)
    if act is None or not act.tracked:
        return
    t = _t(tracking, act)
    completion, success = evaluated_status(cmi)
    if completion in ("completed", "incomplete"):
        t["progress_known"], t["completed"] = True, completion == "completed"
    elif completion == "not attempted":
        t["progress_known"], t["completed"] = True, False
    progress = _number(cmi.get("cmi.progress_measure"))
    if progress is not None:
        t["amount_known"], t["amount"] = True, progress
    scaled = _number(cmi.get("cmi.score.scaled"))
    primary = act.primary()
    if success in ("passed", "failed"):
        _set_objective(tracking, act, primary, satisfied=success == "passed")
    if scaled is not None:
        _set_objective(tracking, act, primary, measure=scaled)
    for key, value in cmi.items():
        # cmi.objectives.n.id names a non-primary objective of the activity.
        if not (key.startswith("cmi.objectives.") and key.endswith(".id")):
            continue
        objective = next((o for o in act.objectives if o.id == value and not o.primary), None)
        if objective is None:
            continue
        prefix = key[: -len("id")]
        status = cmi.get(prefix + "success_status", "unknown")
        if status in ("passed", "failed"):
            _set_objective(tracking, act, objective, satisfied=status == "passed")
        measure = _number(cmi.get(prefix + "score.scaled"))
        if measure is not None:
            _set_objective(tracking, act, objective, measure=measure)
    if suspended is not None:
        t["suspended"] = suspended
    rollup(tree, tracking, act)


def _number(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def evaluated_status(cmi: dict[str, str]) -> tuple[str, str]:
    """(completion_status, success_status) as the LMS evaluates them (RTE 4.2.4.1, 4.2.22)."""
    completion = cmi.get("cmi.completion_status", "unknown")
    threshold = _number(cmi.get("cmi.completion_threshold"))
    progress = _number(cmi.get("cmi.progress_measure"))
    if threshold is not None:
        # With a threshold the progress measure alone decides (unknown without one).
        completion = (
            "unknown"
            if progress is None
            else ("completed" if progress >= threshold else "incomplete")
        )
    success = cmi.get("cmi.success_status", "unknown")
    passing = _number(cmi.get("cmi.scaled_passing_score"))
    scaled = _number(cmi.get("cmi.score.scaled"))
    if passing is not None:
        success = "unknown" if scaled is None else ("passed" if scaled >= passing else "failed")
    return completion, success


# ---------------------------------------------------------------- attempts


def _end_attempt(tree: Tree, tracking: Tracking, act: Activity) -> None:
    """End Attempt Process (UP.4): no longer active; roll up."""
    t = _t(tracking, act)
    if act.is_leaf and act.tracked and not t["suspended"]:
        # Delivery controls (SN 3.13): what the content did not set, the LMS sets.
        if not act.completion_set_by_content and not t["progress_known"]:
            t["progress_known"], t["completed"] = True, True
        primary = act.primary()
        if not act.objective_set_by_content and not _local(tracking, act, primary)["status_known"]:
            _set_objective(tracking, act, primary, satisfied=True)
    if not act.is_leaf:
        t["suspended"] = any(_t(tracking, c)["suspended"] for c in act.children)
    t["active"] = False
    rollup(tree, tracking, act)
    if not act.is_leaf:
        _rollup_node(tracking, act)
        rollup(tree, tracking, act)


def _terminate_descendents(
    tree: Tree, tracking: Tracking, current: Activity, upto: Activity
) -> None:
    """Terminate Descendent Attempts Process (UP.3): end every activity below `upto`."""
    for node in _path_to_root(current):
        if node is upto:
            break
        if _t(tracking, node)["active"]:
            _end_attempt(tree, tracking, node)


def _reset_for_new_attempt(tracking: Tracking, act: Activity) -> None:
    """A new attempt on a cluster starts its descendants' progress and objectives afresh."""
    for node in _preorder(act):
        t = _t(tracking, node)
        t["progress_known"] = t["completed"] = t["amount_known"] = False
        t["objectives"] = {}
        t["suspended"] = False


# ---------------------------------------------------------------- traversal


@dataclass
class Result:
    """What a navigation request came to."""

    deliver: str | None = None  # the leaf to show
    ended: bool = False  # the sequencing session ended (exitAll, end of course)
    error: str | None = None  # why the request was refused (SN NB/SB exception codes)
    new_attempt: bool = False  # the leaf begins a new attempt (its run-time data starts afresh)


def _flow_ok(act: Activity) -> bool:
    return act.parent is None or act.parent.control["flow"]


def _next_in_tree(
    tree: Tree, act: Activity, forward: bool, consider_children: bool
) -> Activity | None:
    """Flow Tree Traversal Subprocess (SB.2.1) without the checks: the next activity."""
    if forward:
        if consider_children and act.children:
            return act.children[0]
        node: Activity | None = act
        while node is not None and node.parent is not None:
            siblings = node.parent.children
            index = siblings.index(node)
            if index + 1 < len(siblings):
                return siblings[index + 1]
            node = node.parent
        return None
    if consider_children and act.children:
        return act.children[-1]
    if act.parent is None:
        return None
    siblings = act.parent.children
    index = siblings.index(act)
    if index > 0:
        return siblings[index - 1]
    return None


def _flow(
    tree: Tree, tracking: Tracking, start: Activity, forward: bool, consider_children: bool
) -> Activity | str:
    """Flow Subprocess (SB.2.3) with Flow Activity Traversal (SB.2.2): a leaf or an error."""
    candidate = _next_in_tree(tree, start, forward, consider_children)
    if candidate is None and not forward and start.parent is not None:
        # Going back past the first child: climb while the parent allows it.
        node = start
        while candidate is None and node.parent is not None:
            node = node.parent
            if node.parent is not None and node.parent.control["forwardOnly"]:
                return "SB.2.2-5"
            candidate = _next_in_tree(tree, node, False, False)
    for _ in range(len(tree.order) * 4):
        if candidate is None:
            return "end" if forward else "SB.2.1-3"
        if not _flow_ok(candidate):
            return "SB.2.2-1"
        if not forward and candidate.parent is not None and candidate.parent.control["forwardOnly"]:
            return "SB.2.2-5"
        if _skipped(tracking, candidate):
            nxt = _next_in_tree(tree, candidate, forward, False)
            if nxt is None and not forward:
                node = candidate
                while nxt is None and node.parent is not None:
                    node = node.parent
                    nxt = _next_in_tree(tree, node, False, False)
            candidate = nxt
            continue
        if _check_activity(tracking, candidate):
            return "SB.2.2-2"
        if candidate.is_leaf:
            return candidate
        if not candidate.control["flow"]:
            return "SB.2.2-1"
        if forward:
            candidate = candidate.children[0]
        else:
            if candidate.control["forwardOnly"]:
                candidate = candidate.children[0]
            else:
                candidate = candidate.children[-1]
    return "SB.2.2-loop"


# ---------------------------------------------------------------- delivery


def _deliver(tree: Tree, tracking: Tracking, act: Activity) -> Result:
    """Delivery Request Process (DB.1.1) and Content Delivery Environment (DB.2)."""
    path = list(reversed(_path_to_root(act)))
    for node in path:
        if _check_activity(tracking, node) and not _t(tracking, node)["active"]:
            return Result(error="DB.1.1-3")
    current = tree.by_id.get(tracking["current"] or "")
    if current is not None and current is not act:
        common = _common_ancestor(current, act)
        _terminate_descendents(tree, tracking, current, common)
    reset: list[Activity] = []
    leaf_new_attempt = False
    for node in path:
        t = _t(tracking, node)
        if not t["active"]:
            if t["suspended"]:
                t["suspended"] = False
            else:
                t["attempts"] += 1
                leaf_new_attempt = node is act
                if node.children:
                    _reset_for_new_attempt(tracking, node)
                    reset.append(node)
                else:
                    t["progress_known"] = t["completed"] = t["amount_known"] = False
                    t["objectives"] = {}
            t["active"] = True
    for node in reversed(reset):
        # The new attempt's blank state is what the parents roll up from now on.
        _rollup_node(tracking, node)
        rollup(tree, tracking, node)
    tracking["current"] = act.id
    tracking["suspended"] = None
    tracking["ended"] = False
    return Result(deliver=act.id, new_attempt=leaf_new_attempt)


# ---------------------------------------------------------------- requests


def _start(tree: Tree, tracking: Tracking) -> Result:
    """Start (SB.2.5) or Resume All (SB.2.6) when the session was suspended."""
    if tracking.get("suspended"):
        target = tree.by_id.get(tracking["suspended"])
        if target is not None:
            return _deliver(tree, tracking, target)
    root = tree.root
    if root.is_leaf:
        return _deliver(tree, tracking, root)
    found = _flow_from_cluster(tree, tracking, root)
    if isinstance(found, str):
        return Result(error=found)
    return _deliver(tree, tracking, found)


def _flow_from_cluster(tree: Tree, tracking: Tracking, cluster: Activity) -> Activity | str:
    """Flow into a cluster from its start (used by start, retry and choice of a cluster)."""
    if _check_activity(tracking, cluster) and not _t(tracking, cluster)["active"]:
        return "SB.2.2-2"
    if not cluster.control["flow"]:
        return "SB.2.5-1"
    return _flow(tree, tracking, cluster, forward=True, consider_children=True)


def _exit_action_rules(tree: Tree, tracking: Tracking, current: Activity) -> Activity:
    """Sequencing Exit Action Rules Subprocess (TB.2.1): an ancestor may exit itself."""
    for node in reversed(_path_to_root(current)[1:]):
        if _rules_check(tracking, node, node.exit, {"exit"}):
            _terminate_descendents(tree, tracking, current, node)
            _end_attempt(tree, tracking, node)
            return node
    return current


def _terminate(tree: Tree, tracking: Tracking, kind: str) -> tuple[str | None, Activity | None]:
    """Termination Request Process (TB.2.3) for exit and exitAll.

    Returns (sequencing request from post-condition rules, activity it applies to).
    """
    current = tree.by_id.get(tracking["current"] or "")
    if current is None:
        return None, None
    if kind == "exitAll":
        _terminate_descendents(tree, tracking, current, None)  # type: ignore[arg-type]
        if _t(tracking, tree.root)["active"]:
            _end_attempt(tree, tracking, tree.root)
        tracking["current"] = tree.root.id
        return "exit", tree.root
    if _t(tracking, current)["active"]:
        _end_attempt(tree, tracking, current)
    current = _exit_action_rules(tree, tracking, current)
    tracking["current"] = current.id
    for _ in range(len(tree.order) + 1):
        action = _rules_check(
            tracking,
            current,
            current.post,
            {"exitParent", "exitAll", "retry", "retryAll", "continue", "previous"},
        )
        if action == "exitParent" and current.parent is not None:
            current = current.parent
            if _t(tracking, current)["active"]:
                _end_attempt(tree, tracking, current)
            tracking["current"] = current.id
            continue
        if action in ("exitAll", "retryAll"):
            _terminate_descendents(tree, tracking, current, None)  # type: ignore[arg-type]
            if _t(tracking, tree.root)["active"]:
                _end_attempt(tree, tracking, tree.root)
            tracking["current"] = tree.root.id
            return ("retry" if action == "retryAll" else "exit"), tree.root
        if action in ("retry", "continue", "previous"):
            return action, current
        break
    if current is tree.root:
        return "exit", current
    return None, current


def _suspend_all(tree: Tree, tracking: Tracking) -> Result:
    current = tree.by_id.get(tracking["current"] or "")
    if current is None:
        return Result(error="TB.2.3-2")
    for node in _path_to_root(current):
        t = _t(tracking, node)
        t["suspended"], t["active"] = True, False
    tracking["suspended"] = current.id
    tracking["current"] = None
    return Result(ended=True)


def _choice_error(tree: Tree, tracking: Tracking, target: Activity) -> str | None:
    """Choice Sequencing Request Process (SB.2.9) checks, without delivering."""
    for node in _path_to_root(target):
        if _hidden_from_choice(tracking, node):
            return "SB.2.9-4"
    if target.parent is not None and not target.parent.control["choice"]:
        return "SB.2.9-5"
    current = tree.by_id.get(tracking["current"] or "")
    if current is not None and _t(tracking, current)["active"]:
        common = _common_ancestor(current, target)
        # Leaving an activity whose choiceExit is false is not allowed (SB.2.9 step 8).
        for node in _path_to_root(current):
            if node is common:
                break
            if _t(tracking, node)["active"] and not node.control["choiceExit"]:
                return "SB.2.9-8"
        parent = target.parent
        if parent is not None and parent.control["forwardOnly"] and parent is common:
            siblings = parent.children
            here = next((c for c in siblings if c in _path_to_root(current)), None)
            if here is not None and siblings.index(target) < siblings.index(here):
                return "SB.2.9-5"
    for node in _path_to_root(target)[1:]:
        if not node.control["choice"]:
            return "SB.2.9-5"
    if _check_activity(tracking, target) and not _t(tracking, target)["active"]:
        return "SB.2.9-6"
    return None


def _choice(tree: Tree, tracking: Tracking, target_id: str | None) -> Result:
    target = tree.by_id.get(target_id or "")
    if target is None:
        return Result(error="SB.2.9-1")
    error = _choice_error(tree, tracking, target)
    if error:
        return Result(error=error)
    current = tree.by_id.get(tracking["current"] or "")
    if current is not None and _t(tracking, current)["active"] and current is not target:
        _end_attempt(tree, tracking, current)
    if target.is_leaf:
        return _deliver(tree, tracking, target)
    found = _flow_from_cluster(tree, tracking, target)
    if isinstance(found, str):
        return Result(error=found)
    return _deliver(tree, tracking, found)


def _sequencing(tree: Tree, tracking: Tracking, request: str, at: Activity | None) -> Result:
    """Sequencing Request Process (SB.2.12) for continue, previous, retry and exit."""
    if request == "exit":
        if at is None or at is tree.root:
            tracking["ended"] = True
            tracking["current"] = None
            return Result(ended=True)
        return Result()
    if at is None:
        return Result(error="SB.2.12-1")
    if request == "retry":
        t = _t(tracking, at)
        if t["active"]:
            _terminate_descendents(tree, tracking, tree.by_id[tracking["current"]], at)
            _end_attempt(tree, tracking, at)
        if at.is_leaf:
            return _deliver(tree, tracking, at)
        found = _flow_from_cluster(tree, tracking, at)
        if isinstance(found, str):
            return Result(error=found)
        # A retry is a new attempt on the cluster, so its descendants start afresh.
        return _deliver(tree, tracking, found)
    forward = request == "continue"
    if not forward and at.parent is not None and at.parent.control["forwardOnly"]:
        return Result(error="SB.2.8-2")
    found = _flow(tree, tracking, at, forward=forward, consider_children=False)
    if found == "end":
        _terminate_descendents(tree, tracking, at, None)  # type: ignore[arg-type]
        if _t(tracking, tree.root)["active"]:
            _end_attempt(tree, tracking, tree.root)
        tracking["ended"] = True
        tracking["current"] = None
        return Result(ended=True)
    if isinstance(found, str):
        return Result(error=found)
    return _deliver(tree, tracking, found)


def navigate(tree: Tree, tracking: Tracking, request: str, target: str | None = None) -> Result:
    """Overall Sequencing Process (OP.1) for one navigation request.

    request: start, resumeAll, continue, previous, choice (with target), exit, exitAll,
    suspendAll, abandon, abandonAll. The tracking dict is changed in place.
    """
    current = tree.by_id.get(tracking["current"] or "")
    if request in ("start", "resumeAll"):
        if current is not None and _t(tracking, current)["active"]:
            return Result(deliver=current.id)  # already delivered (a reload)
        return _start(tree, tracking)
    error = navigation_error(tree, tracking, request, target)
    if error:
        return Result(error=error)
    if request == "suspendAll":
        return _suspend_all(tree, tracking)
    if request == "abandon":
        # TB.2.3: the current attempt is given up, nothing is rolled up, nothing delivered;
        # the learner chooses where to go next.
        _t(tracking, current)["active"] = False  # type: ignore[arg-type]
        return Result()
    if request == "abandonAll":
        # The whole attempt is given up as it stands: no rollup, the session ends.
        for node in _path_to_root(current):  # type: ignore[arg-type]
            _t(tracking, node)["active"] = False
        tracking["ended"] = True
        tracking["current"] = None
        return Result(ended=True)
    if request == "choice":
        return _choice(tree, tracking, target)
    if request == "exitAll":
        seq, at = _terminate(tree, tracking, "exitAll")
        return _sequencing(tree, tracking, seq or "exit", at)
    # continue, previous, exit: the current activity's attempt ends first.
    seq, at = _terminate(tree, tracking, "exit")
    if request in ("continue", "previous") and seq is None:
        seq = request
    if seq is None:
        return Result()
    return _sequencing(tree, tracking, seq, at)


def navigation_error(
    tree: Tree, tracking: Tracking, request: str, target: str | None = None
) -> str | None:
    """Navigation Request Process (NB.2.1): why a request is not valid now, else None."""
    current = tree.by_id.get(tracking["current"] or "")
    if request in ("continue", "previous"):
        if current is None:
            return "NB.2.1-2"
        if current.parent is not None and not current.parent.control["flow"]:
            return "NB.2.1-4"
        if (
            request == "previous"
            and current.parent is not None
            and current.parent.control["forwardOnly"]
        ):
            return "NB.2.1-5"
        return None
    if request == "choice":
        node = tree.by_id.get(target or "")
        if node is None:
            return "NB.2.1-11"
        return _choice_error(tree, tracking, node)
    if request in ("exit", "abandon"):
        if current is None or not _t(tracking, current)["active"]:
            return "NB.2.1-12"
        return None
    if request in ("exitAll", "suspendAll", "abandonAll"):
        return None if current is not None else "NB.2.1-14"
    return "NB.2.1-13"


def controls(tree: Tree, tracking: Tracking) -> dict[str, Any]:
    """What the player may offer now: Continue, Previous, and each leaf's choice state."""
    current = tree.by_id.get(tracking["current"] or "")
    items = {}
    for act in tree.order:
        hidden = not act.visible or any(
            _hidden_from_choice(tracking, n) for n in _path_to_root(act)
        )
        items[act.id] = {
            "hidden": hidden,
            "enabled": not hidden and _choice_error(tree, tracking, act) is None,
            "completed": _t(tracking, act)["progress_known"] and _t(tracking, act)["completed"],
        }
    continue_ok = current is not None and (current.parent is None or current.parent.control["flow"])
    previous_ok = continue_ok and not (
        current is not None and current.parent is not None and current.parent.control["forwardOnly"]
    )
    active = current is not None and _t(tracking, current)["active"]
    return {
        "continue": bool(continue_ok),
        "previous": bool(previous_ok),
        # Exit ends the current activity's attempt; exitAll and suspendAll the course's.
        "exit": bool(active),
        "exitAll": current is not None,
        "suspendAll": current is not None,
        "items": items,
        "current": tracking["current"],
        "ended": tracking.get("ended", False),
        "suspended": bool(tracking.get("suspended")),
    }
