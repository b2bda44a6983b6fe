"""Read <imsss:sequencing> (IMS SS 1.0 as profiled by SCORM 2004) into plain dicts.

The dicts are what `sequencing.activity_from_dict` takes; absent elements keep the SN
defaults there. An item's <sequencing IDRef="..."> starts from the sequencingCollection
entry and the item's own child elements replace the collection's of the same name
(CAM 4th ed. 5.1.3).
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

CONTROL_NAMES = ("choice", "choiceExit", "flow", "forwardOnly")
CONSIDERATIONS = (
    "requiredForSatisfied",
    "requiredForNotSatisfied",
    "requiredForCompleted",
    "requiredForIncomplete",
)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _kids(el: Element, name: str) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str) and _local(c.tag) == name]


def _kid(el: Element | None, name: str) -> Element | None:
    if el is None:
        return None
    found = _kids(el, name)
    return found[0] if found else None


def _get(el: Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value.strip()
    return None


def _bool(el: Element, name: str, default: bool) -> bool:
    value = _get(el, name)
    if value is None:
        return default
    return value.lower() in ("true", "1")


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default


def collection(root: Element) -> dict[str, Element]:
    """The <imsss:sequencingCollection> entries by ID."""
    out: dict[str, Element] = {}
    for coll in _kids(root, "sequencingCollection"):
        for seq in _kids(coll, "sequencing"):
            ident = _get(seq, "ID")
            if ident:
                out[ident] = seq
    return out


def _merged(seq: Element, shared: dict[str, Element]) -> list[Element]:
    """The child elements that apply: the item's own, then the collection's others."""
    own = [c for c in seq if isinstance(c.tag, str)]
    ref = _get(seq, "IDRef")
    base = shared.get(ref) if ref else None
    if base is None:
        return own
    names = {_local(c.tag) for c in own}
    return own + [c for c in base if isinstance(c.tag, str) and _local(c.tag) not in names]


def _rule(rule: Element) -> dict[str, Any]:
    conditions_el = _kid(rule, "ruleConditions")
    conditions = []
    combination = "all"
    if conditions_el is not None:
        combination = _get(conditions_el, "conditionCombination") or "all"
        for cond in _kids(conditions_el, "ruleCondition"):
            conditions.append(
                {
                    "condition": _get(cond, "condition") or "always",
                    "operator": _get(cond, "operator") or "noOp",
                    "objective": _get(cond, "referencedObjective"),
                    "threshold": _number(_get(cond, "measureThreshold"), 0.0),
                }
            )
    action_el = _kid(rule, "ruleAction")
    action = (_get(action_el, "action") if action_el is not None else None) or ""
    return {"combination": combination, "conditions": conditions, "action": action}


def _rollup_rule(rule: Element) -> dict[str, Any]:
    conditions_el = _kid(rule, "rollupConditions")
    conditions = []
    combination = "any"
    if conditions_el is not None:
        combination = _get(conditions_el, "conditionCombination") or "any"
        for cond in _kids(conditions_el, "rollupCondition"):
            conditions.append(
                {
                    "condition": _get(cond, "condition") or "never",
                    "operator": _get(cond, "operator") or "noOp",
                }
            )
    action_el = _kid(rule, "rollupAction")
    return {
        "child_activity_set": _get(rule, "childActivitySet") or "all",
        "minimum_count": int(_number(_get(rule, "minimumCount"), 0)),
        "minimum_percent": _number(_get(rule, "minimumPercent"), 0.0),
        "combination": combination,
        "conditions": conditions,
        "action": (_get(action_el, "action") if action_el is not None else None) or "",
    }


def _objective(el: Element, primary: bool) -> dict[str, Any]:
    measure = _kid(el, "minNormalizedMeasure")
    return {
        "id": _get(el, "objectiveID") or "",
        "primary": primary,
        "satisfied_by_measure": _bool(el, "satisfiedByMeasure", False),
        "min_measure": _number((measure.text or "").strip() if measure is not None else None, 1.0),
        "maps": [
            {
                "target": _get(m, "targetObjectiveID") or "",
                "read_satisfied": _bool(m, "readSatisfiedStatus", True),
                "read_measure": _bool(m, "readNormalizedMeasure", True),
                "write_satisfied": _bool(m, "writeSatisfiedStatus", False),
                "write_measure": _bool(m, "writeNormalizedMeasure", False),
            }
            for m in _kids(el, "mapInfo")
            if _get(m, "targetObjectiveID")
        ],
    }


def read_sequencing(owner: Element, shared: dict[str, Element]) -> dict[str, Any]:
    """The sequencing definition of an <item> or <organization> (empty: all defaults)."""
    seq = _kid(owner, "sequencing")
    if seq is None:
        return {}
    out: dict[str, Any] = {}
    for el in _merged(seq, shared):
        name = _local(el.tag)
        if name == "controlMode":
            out["control"] = {
                n: _bool(el, n, default)
                for n, default in zip(CONTROL_NAMES, (True, True, False, False), strict=True)
            }
        elif name == "sequencingRules":
            for kind, key in (
                ("preConditionRule", "pre"),
                ("exitConditionRule", "exit"),
                ("postConditionRule", "post"),
            ):
                out[key] = [_rule(r) for r in _kids(el, kind)]
        elif name == "limitConditions":
            limit = _get(el, "attemptLimit")
            if limit and limit.isdigit() and int(limit) > 0:
                out["attempt_limit"] = int(limit)
        elif name == "rollupRules":
            out["rollup_satisfied"] = _bool(el, "rollupObjectiveSatisfied", True)
            out["rollup_completion"] = _bool(el, "rollupProgressCompletion", True)
            out["measure_weight"] = _number(_get(el, "objectiveMeasureWeight"), 1.0)
            out["rollup_rules"] = [_rollup_rule(r) for r in _kids(el, "rollupRule")]
        elif name == "objectives":
            objectives = [_objective(o, True) for o in _kids(el, "primaryObjective")]
            objectives += [_objective(o, False) for o in _kids(el, "objective")]
            out["objectives"] = objectives
        elif name == "deliveryControls":
            out["tracked"] = _bool(el, "tracked", True)
            out["completion_set_by_content"] = _bool(el, "completionSetByContent", False)
            out["objective_set_by_content"] = _bool(el, "objectiveSetByContent", False)
        elif name == "rollupConsiderations":
            considerations: dict[str, Any] = {
                n: _get(el, n) for n in CONSIDERATIONS if _get(el, n) is not None
            }
            if _get(el, "measureSatisfactionIfActive") is not None:
                considerations["measureSatisfactionIfActive"] = _bool(
                    el, "measureSatisfactionIfActive", True
                )
            out["considerations"] = considerations
    return out
