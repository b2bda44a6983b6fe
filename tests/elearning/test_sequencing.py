"""The SCORM 2004 sequencing engine on the SN book's (4th ed.) behaviours and real manifests.

Small trees are written as dicts (what the manifest reader produces); SN section numbers
name the behaviour each test checks. Run-time data is reported as a SCO would commit it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from elearning_service.scorm.manifest import activity_tree, parse_manifest
from elearning_service.scorm.sequencing import (
    Tree,
    controls,
    navigate,
    new_tracking,
    report,
    root_status,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
REMEDIATION = "scorm2004_3rd_golf_sequencing_remediation_full_package"
MANIFESTS = "scorm2004_manifests"
PASSED = {"cmi.completion_status": "completed", "cmi.success_status": "passed"}
FAILED = {"cmi.completion_status": "completed", "cmi.success_status": "failed"}


def leaf(ident: str, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "title": ident, "launch": True, **extra}


def course(*children: dict[str, Any], **extra: Any) -> Tree:
    return Tree.from_dict({"id": "root", "title": "root", "children": list(children), **extra})


FLOW = {"control": {"choice": True, "flow": True}}


def fixture_tree(folder: str) -> Tree:
    path = FIXTURES / folder / "imsmanifest.xml"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return Tree.from_dict(activity_tree(parse_manifest(path.read_bytes())))


# ---------------------------------------------------------------- control modes (SN 3.2)


def test_default_control_modes_allow_choice_but_not_flow():
    tree = course(leaf("a"), leaf("b"))
    tracking = new_tracking()
    # flow is false by default: Start has nothing to flow into (SB.2.5).
    assert navigate(tree, tracking, "start").deliver is None
    assert navigate(tree, tracking, "choice", "b").deliver == "b"
    assert navigate(tree, tracking, "continue").error == "NB.2.1-4"
    assert controls(tree, tracking)["continue"] is False
    assert controls(tree, tracking)["items"]["a"]["enabled"] is True


def test_flow_continues_and_goes_back_and_ends_past_the_last_activity():
    tree = course(leaf("a"), leaf("b"), leaf("c"), **FLOW)
    tracking = new_tracking()
    assert navigate(tree, tracking, "start").deliver == "a"
    assert navigate(tree, tracking, "previous").error == "SB.2.1-3"  # nothing before a
    assert navigate(tree, tracking, "start").deliver == "a"
    assert navigate(tree, tracking, "continue").deliver == "b"
    assert navigate(tree, tracking, "previous").deliver == "a"
    assert navigate(tree, tracking, "continue").deliver == "b"
    assert navigate(tree, tracking, "continue").deliver == "c"
    ended = navigate(tree, tracking, "continue")
    assert ended.ended and ended.deliver is None


def test_flow_descends_into_clusters_and_climbs_out_of_them():
    tree = course(
        {"id": "m1", "children": [leaf("a"), leaf("b")], **FLOW},
        {"id": "m2", "children": [leaf("c")], **FLOW},
        **FLOW,
    )
    tracking = new_tracking()
    assert navigate(tree, tracking, "start").deliver == "a"
    assert navigate(tree, tracking, "continue").deliver == "b"
    assert navigate(tree, tracking, "continue").deliver == "c"
    assert navigate(tree, tracking, "previous").deliver == "b"
    # m1 got a second attempt when b was delivered again through it.
    assert tracking["activities"]["m1"]["attempts"] == 2


def test_forward_only_refuses_previous_and_backward_choice():
    tree = course(
        leaf("a"), leaf("b"), leaf("c"), control={"choice": True, "flow": True, "forwardOnly": True}
    )
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    assert navigate(tree, tracking, "continue").deliver == "b"
    assert navigate(tree, tracking, "previous").error == "NB.2.1-5"
    assert navigate(tree, tracking, "choice", "a").error == "SB.2.9-5"
    assert navigate(tree, tracking, "choice", "c").deliver == "c"
    assert controls(tree, tracking)["previous"] is False


def test_choice_false_on_the_parent_refuses_choice_of_its_children():
    tree = course(leaf("a"), leaf("b"), control={"choice": False, "flow": True})
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    assert navigate(tree, tracking, "choice", "b").error == "SB.2.9-5"
    assert controls(tree, tracking)["items"]["b"]["enabled"] is False


def test_choice_exit_false_keeps_the_learner_inside_the_activity():
    tree = course(
        {"id": "m1", "children": [leaf("a"), leaf("b")],
         "control": {"choice": True, "flow": True, "choiceExit": False}},
        leaf("c"),
        **FLOW,
    )  # fmt: skip
    tracking = new_tracking()
    assert navigate(tree, tracking, "start").deliver == "a"
    assert navigate(tree, tracking, "choice", "b").deliver == "b"  # inside m1: fine
    assert navigate(tree, tracking, "choice", "c").error == "SB.2.9-8"


# ---------------------------------------------------------------- preconditions (SN 3.4)


def test_skip_precondition_is_passed_over_by_flow():
    satisfied_skip = {
        "action": "skip",
        "conditions": [{"condition": "satisfied"}],
        "combination": "all",
    }
    tree = course(leaf("pretest"), leaf("content", pre=[satisfied_skip]), leaf("end"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "pretest", PASSED)
    # content is not satisfied yet: delivered.
    assert navigate(tree, tracking, "continue").deliver == "content"
    report(tree, tracking, "content", PASSED)
    assert navigate(tree, tracking, "previous").deliver == "pretest"
    # Preconditions read the tracking of the attempt that ended (satisfied): skipped now.
    assert navigate(tree, tracking, "continue").deliver == "end"


def test_skip_reads_a_global_objective_written_by_another_activity():
    write = [{"target": "g1", "write_satisfied": True}]
    read = [{"target": "g1", "read_satisfied": True}]
    skip = {"action": "skip", "conditions": [{"condition": "satisfied"}]}
    tree = course(
        leaf("pretest", objectives=[{"id": "o", "primary": True, "maps": write}]),
        leaf("content", pre=[skip], objectives=[{"id": "o", "primary": True, "maps": read}]),
        leaf("end"),
        **FLOW,
    )
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "pretest", PASSED)
    assert tracking["globals"]["g1"] == {
        "status_known": True, "satisfied": True, "measure_known": False, "measure": 0.0,
    }  # fmt: skip
    assert navigate(tree, tracking, "continue").deliver == "end"  # content skipped


def test_disabled_precondition_refuses_choice_until_the_prerequisite_is_satisfied():
    tree = fixture_tree(f"{MANIFESTS}/SequencingForcedSequential_SCORM20043rdEdition")
    tracking = new_tracking()
    assert navigate(tree, tracking, "start").deliver == "playing_item"
    assert navigate(tree, tracking, "choice", "handicapping_item").error == "SB.2.9-6"
    assert controls(tree, tracking)["items"]["etuqiette_item"]["enabled"] is False
    report(tree, tracking, "playing_item", PASSED)
    assert controls(tree, tracking)["items"]["etuqiette_item"]["enabled"] is True
    assert navigate(tree, tracking, "choice", "etuqiette_item").deliver == "etuqiette_item"
    # Going back to review is allowed; jumping ahead past the next one is not.
    assert navigate(tree, tracking, "choice", "playing_item").deliver == "playing_item"
    assert navigate(tree, tracking, "choice", "havingfun_item").error == "SB.2.9-6"


def test_hidden_from_choice_hides_and_refuses():
    hide = {"action": "hiddenFromChoice", "conditions": [{"condition": "always"}]}
    tree = course(leaf("a"), leaf("secret", pre=[hide]))
    tracking = new_tracking()
    navigate(tree, tracking, "choice", "a")
    assert navigate(tree, tracking, "choice", "secret").error == "SB.2.9-4"
    assert controls(tree, tracking)["items"]["secret"] == {
        "hidden": True, "enabled": False, "completed": False,
    }  # fmt: skip


# ---------------------------------------------------------------- limit conditions (SN 3.5)


def test_attempt_limit_refuses_a_second_attempt():
    tree = course(leaf("quiz", attempt_limit=1), leaf("other"))
    tracking = new_tracking()
    assert navigate(tree, tracking, "choice", "quiz").deliver == "quiz"
    report(tree, tracking, "quiz", FAILED)
    assert navigate(tree, tracking, "choice", "other").deliver == "other"
    assert navigate(tree, tracking, "choice", "quiz").error == "SB.2.9-6"
    assert controls(tree, tracking)["items"]["quiz"]["enabled"] is False


# ---------------------------------------------------------------- exit/post rules (SN 3.4)


def test_post_condition_retry_repeats_until_satisfied():
    retry = {
        "action": "retry",
        "combination": "any",
        "conditions": [{"condition": "satisfied", "operator": "not"}],
    }
    tree = course(leaf("quiz", post=[retry]), leaf("done"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "quiz", FAILED)
    assert navigate(tree, tracking, "continue").deliver == "quiz"
    assert tracking["activities"]["quiz"]["attempts"] == 2
    report(tree, tracking, "quiz", PASSED)
    assert navigate(tree, tracking, "continue").deliver == "done"


def test_post_condition_exit_all_ends_the_session():
    exit_all = {"action": "exitAll", "conditions": [{"condition": "satisfied"}]}
    tree = course(leaf("quiz", post=[exit_all]), leaf("more"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "quiz", PASSED)
    result = navigate(tree, tracking, "continue")
    assert result.ended and result.deliver is None


def test_post_condition_continue_moves_on_after_exit():
    go_on = {"action": "continue", "conditions": [{"condition": "completed"}]}
    tree = course(leaf("a", post=[go_on]), leaf("b"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "a", {"cmi.completion_status": "completed"})
    result = navigate(tree, tracking, "exit")
    assert result.deliver == "b"


def test_exit_action_rule_on_the_parent_exits_the_cluster():
    leave = {"action": "exit", "conditions": [{"condition": "completed"}]}
    tree = course(
        {"id": "m1", "children": [leaf("a"), leaf("b")], "exit": [leave],
         "rollup_rules": [{"action": "completed", "child_activity_set": "any",
                           "conditions": [{"condition": "completed"}]}], **FLOW},
        leaf("c"),
        **FLOW,
    )  # fmt: skip
    tracking = new_tracking()
    assert navigate(tree, tracking, "start").deliver == "a"
    report(tree, tracking, "a", {"cmi.completion_status": "completed"})
    # m1 is completed once any child is: its exit rule ends it, continue goes past b.
    assert navigate(tree, tracking, "continue").deliver == "c"


# ---------------------------------------------------------------- rollup (SN 4.6)


def test_default_rollup_needs_every_child_satisfied_and_completed():
    tree = course(leaf("a"), leaf("b"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "a", PASSED)
    assert root_status(tree, tracking)[:2] == ("incomplete", "unknown")
    navigate(tree, tracking, "continue")
    report(tree, tracking, "b", FAILED)
    assert root_status(tree, tracking)[:2] == ("completed", "failed")
    navigate(tree, tracking, "previous")
    navigate(tree, tracking, "continue")
    report(tree, tracking, "b", PASSED)
    assert root_status(tree, tracking)[:2] == ("completed", "passed")


def test_rollup_rules_at_least_count_and_excluded_children():
    tree = course(
        leaf("a"), leaf("b"), leaf("c"),
        leaf("survey", rollup_satisfied=False, rollup_completion=False),
        rollup_rules=[
            {"action": "satisfied", "child_activity_set": "atLeastCount", "minimum_count": 2,
             "conditions": [{"condition": "satisfied"}]},
            {"action": "completed", "child_activity_set": "atLeastPercent",
             "minimum_percent": 0.6, "conditions": [{"condition": "completed"}]},
        ],
    )  # fmt: skip
    tracking = new_tracking()
    navigate(tree, tracking, "choice", "a")
    report(tree, tracking, "a", PASSED)
    assert root_status(tree, tracking)[1] == "unknown"
    navigate(tree, tracking, "choice", "b")
    report(tree, tracking, "b", PASSED)
    # Two of three (the survey does not count): satisfied and 67 % completed.
    assert root_status(tree, tracking)[:2] == ("completed", "passed")


def test_measure_rollup_is_the_weighted_average_and_can_satisfy_by_measure():
    tree = course(
        leaf("q1", measure_weight=1.0),
        leaf("q2", measure_weight=3.0),
        leaf("reading", measure_weight=0.0),
        objectives=[{"id": "course", "primary": True, "satisfied_by_measure": True,
                     "min_measure": 0.7}],
    )  # fmt: skip
    tracking = new_tracking()
    navigate(tree, tracking, "choice", "q1")
    report(tree, tracking, "q1", {"cmi.score.scaled": "0.4"})
    _, success, measure = root_status(tree, tracking)
    assert measure == pytest.approx(0.1)  # q2 unknown still weighs in the denominator
    assert success == "failed"
    navigate(tree, tracking, "choice", "q2")
    report(tree, tracking, "q2", {"cmi.score.scaled": "0.9"})
    assert root_status(tree, tracking)[1:] == ("passed", pytest.approx(0.775))


def test_delivery_controls_defaults_satisfy_and_complete_what_content_did_not_report():
    tree = course(leaf("a"), leaf("b"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    navigate(tree, tracking, "continue")  # a reported nothing
    assert tracking["activities"]["a"]["completed"] is True
    navigate(tree, tracking, "exitAll")
    assert root_status(tree, tracking)[:2] == ("completed", "passed")


def test_content_set_by_content_keeps_unreported_status_unknown():
    tree = course(
        leaf("a", completion_set_by_content=True, objective_set_by_content=True),
        leaf("b"),
        **FLOW,
    )
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    navigate(tree, tracking, "continue")
    assert tracking["activities"]["a"]["progress_known"] is False
    assert root_status(tree, tracking)[:2] == ("incomplete", "unknown")


def test_suspend_all_then_resume_all_delivers_the_same_activity():
    tree = course(leaf("a"), leaf("b"), leaf("c"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    navigate(tree, tracking, "continue")
    assert navigate(tree, tracking, "suspendAll").ended
    assert tracking["suspended"] == "b"
    resumed = navigate(tree, tracking, "start")
    assert resumed.deliver == "b"
    assert tracking["activities"]["b"]["attempts"] == 1  # the same attempt, resumed


# ---------------------------------------------------------------- real packages


def _run_remediation(tree: Tree, first_results: dict[str, bool]) -> list[str]:
    tracking = new_tracking()
    delivered = []
    result = navigate(tree, tracking, "start")
    results = dict(first_results)
    while result.deliver:
        current = result.deliver
        delivered.append(current)
        if current.startswith("test_"):
            report(tree, tracking, current, PASSED if results[current] else FAILED)
            results[current] = True  # the learner passes on the second try
        else:
            report(tree, tracking, current, PASSED)
        result = navigate(tree, tracking, "continue")
        assert len(delivered) < 30
    assert result.ended
    assert root_status(tree, tracking)[:2] == ("completed", "passed")
    return delivered


def test_remediation_package_sends_the_learner_back_to_what_was_failed():
    tree = fixture_tree(REMEDIATION)
    # The content wrapper is invisible and the course offers flow only (no choice).
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    assert controls(tree, tracking)["items"]["test_1"]["enabled"] is False
    first = {"test_1": True, "test_2": False, "test_3": True, "test_4": True}
    delivered = _run_remediation(tree, first)
    content = ["playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"]
    tests = ["test_1", "test_2", "test_3", "test_4"]
    # Second round: only etiquette and its test are taken again, then the last test's
    # post-condition (exitParent) brings the wrapper to its exitAll.
    assert delivered == content + tests + ["etuqiette_item", "test_2", "test_4"]


def test_remediation_package_passed_first_time_ends_after_one_round():
    tree = fixture_tree(REMEDIATION)
    delivered = _run_remediation(
        tree, dict.fromkeys(["test_1", "test_2", "test_3", "test_4"], True)
    )
    assert len(delivered) == 8


def _definition(tree: Tree) -> list[Any]:
    """Everything a tree defines, activity by activity (parents by identifier)."""
    return [
        copy.deepcopy(
            vars(a)
            | {
                "parent": a.parent and a.parent.id,
                "children": [c.id for c in a.children],
                "objectives": [vars(o) for o in a.objectives],
            }
        )
        for a in tree.order
    ]


def test_sequencing_never_changes_the_tree_so_learners_can_share_one():
    # elearning builds a version's tree once per process (runtime._outline) and every
    # attempt of that version, on any thread, sequences against the same one.
    tree = fixture_tree(REMEDIATION)
    before = _definition(tree)
    _run_remediation(tree, {"test_1": True, "test_2": False, "test_3": True, "test_4": True})
    _run_remediation(tree, dict.fromkeys(["test_1", "test_2", "test_3", "test_4"], True))
    assert _definition(tree) == before


# ---------------------------------------------------------------- termination (SN 4.4 / TB.2.3)


def test_cmi_exit_suspend_suspends_the_activity_and_it_resumes_without_a_new_attempt():
    tree = course(leaf("a"), leaf("b"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    # The SCO left with cmi.exit "suspend": its attempt is not over, so the delivery
    # controls decide nothing for it (UP.4) and the parent is suspended with it.
    report(tree, tracking, "a", {"cmi.completion_status": "incomplete"}, suspended=True)
    assert navigate(tree, tracking, "continue").deliver == "b"
    assert tracking["activities"]["a"]["suspended"] is True
    assert tracking["activities"]["a"]["completed"] is False
    assert navigate(tree, tracking, "previous").deliver == "a"
    assert tracking["activities"]["a"]["attempts"] == 1  # resumed, not a new attempt
    assert tracking["activities"]["a"]["suspended"] is False
    # Left normally this time: the attempt ends, and coming back is a new attempt.
    report(tree, tracking, "a", {}, suspended=False)
    navigate(tree, tracking, "continue")
    assert tracking["activities"]["a"]["suspended"] is False
    assert navigate(tree, tracking, "previous").deliver == "a"
    assert tracking["activities"]["a"]["attempts"] == 2


def test_exit_ends_the_activity_and_waits_for_a_choice_and_exit_at_the_root_ends():
    tree = course(leaf("a"), leaf("b"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    result = navigate(tree, tracking, "exit")
    assert (result.deliver, result.ended, result.error) == (None, False, None)
    assert tracking["activities"]["a"]["active"] is False
    assert controls(tree, tracking)["exit"] is False  # nothing active to exit
    assert navigate(tree, tracking, "exit").error == "NB.2.1-12"
    assert navigate(tree, tracking, "choice", "b").deliver == "b"
    lone = Tree.from_dict(leaf("only"))
    lone_tracking = new_tracking()
    navigate(lone, lone_tracking, "start")
    assert navigate(lone, lone_tracking, "exit").ended  # the root's own attempt ended


def test_exit_all_ends_the_course_and_rolls_up_what_was_done():
    tree = course(leaf("a"), leaf("b"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "a", PASSED)
    result = navigate(tree, tracking, "exitAll")
    assert result.ended and tracking["ended"] is True
    assert tracking["activities"]["root"]["active"] is False
    assert root_status(tree, tracking)[:2] == ("incomplete", "unknown")  # b never seen


def test_abandon_rolls_nothing_up_and_abandon_all_ends_the_session():
    tree = course(leaf("a"), leaf("b"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    assert navigate(tree, tracking, "abandon").deliver is None
    # Abandoned: no delivery-control defaults, a is neither completed nor satisfied.
    assert tracking["activities"]["a"]["progress_known"] is False
    assert tracking["current"] == "a"
    assert navigate(tree, tracking, "continue").deliver == "b"
    ended = navigate(tree, tracking, "abandonAll")
    assert ended.ended and tracking["ended"] is True and tracking["current"] is None
    assert tracking["activities"]["b"]["progress_known"] is False
    assert root_status(tree, tracking)[0] == "incomplete"


def test_suspend_all_keeps_the_tracking_of_every_activity():
    tree = course({"id": "m", "children": [leaf("a"), leaf("b")], **FLOW}, leaf("c"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "a", PASSED)
    navigate(tree, tracking, "continue")
    assert navigate(tree, tracking, "suspendAll").ended
    assert controls(tree, tracking)["suspended"] is True
    assert tracking["ended"] is False
    assert tracking["activities"]["m"]["suspended"] is True
    assert navigate(tree, tracking, "resumeAll").deliver == "b"
    # The cluster's attempt resumed too: a is still completed and satisfied.
    assert tracking["activities"]["m"]["attempts"] == 1
    assert tracking["activities"]["a"]["completed"] is True


# ---------------------------------------------------------------- limits and post rules


def test_retry_stops_at_the_attempt_limit():
    # SN 3.5 with a post-condition retry: "retry while not satisfied and the attempt limit
    # is not exceeded" lets the learner move on after the last allowed attempt.
    retry = {
        "action": "retry",
        "combination": "all",
        "conditions": [
            {"condition": "satisfied", "operator": "not"},
            {"condition": "attemptLimitExceeded", "operator": "not"},
        ],
    }
    tree = course(leaf("quiz", post=[retry], attempt_limit=2), leaf("done"), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "quiz", FAILED)
    assert navigate(tree, tracking, "continue").deliver == "quiz"
    report(tree, tracking, "quiz", FAILED)
    assert navigate(tree, tracking, "continue").deliver == "done"
    assert tracking["activities"]["quiz"]["attempts"] == 2
    # A retry the limit forbids is refused at delivery (DB.1.1 via Check Activity).
    blunt = course(leaf("quiz", post=[{**retry, "conditions": retry["conditions"][:1]}],
                        attempt_limit=1), leaf("done"), **FLOW)  # fmt: skip
    blunt_tracking = new_tracking()
    navigate(blunt, blunt_tracking, "start")
    report(blunt, blunt_tracking, "quiz", FAILED)
    assert navigate(blunt, blunt_tracking, "continue").error == "DB.1.1-3"


def test_attempt_limit_exceeded_precondition_skips_the_activity():
    skip = {"action": "skip", "conditions": [{"condition": "attemptLimitExceeded"}]}
    tree = course(leaf("intro", attempt_limit=1, pre=[skip]), leaf("lesson"), **FLOW)
    tracking = new_tracking()
    assert navigate(tree, tracking, "start").deliver == "intro"
    navigate(tree, tracking, "continue")
    navigate(tree, tracking, "exitAll")
    # A new attempt on the course flows past the intro already seen once.
    assert navigate(tree, tracking, "start").deliver == "lesson"


def test_post_condition_retry_all_starts_the_course_again():
    retry_all = {
        "action": "retryAll",
        "conditions": [{"condition": "satisfied", "operator": "not"}],
    }
    tree = course(leaf("a"), leaf("final", post=[retry_all]), **FLOW)
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    navigate(tree, tracking, "continue")
    report(tree, tracking, "final", FAILED)
    assert navigate(tree, tracking, "continue").deliver == "a"
    assert tracking["activities"]["root"]["attempts"] == 2
    assert tracking["activities"]["final"]["progress_known"] is False  # a fresh attempt


# ---------------------------------------------------------------- measure and progress rollup


def test_measure_rolls_up_through_clusters_to_the_root_by_weight():
    # RB.1.1: each cluster averages its tracked children by objectiveMeasureWeight; a
    # child outside satisfaction rollup (rollupObjectiveSatisfied false) still weighs in.
    tree = course(
        {"id": "m1", "children": [leaf("q1"), leaf("q2", measure_weight=3.0)], **FLOW,
         "measure_weight": 2.0},
        {"id": "m2", "children": [leaf("q3", rollup_satisfied=False)], **FLOW},
        {"id": "notes", "children": [leaf("n")], "tracked": False, **FLOW},
        **FLOW,
    )  # fmt: skip
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "q1", {"cmi.score.scaled": "1"})
    navigate(tree, tracking, "continue")
    report(tree, tracking, "q2", {"cmi.score.scaled": "0.6"})
    navigate(tree, tracking, "continue")
    report(tree, tracking, "q3", {"cmi.score.scaled": "0.3"})
    m1 = (1 * 1.0 + 0.6 * 3.0) / 4.0
    assert root_status(tree, tracking)[2] == pytest.approx((m1 * 2.0 + 0.3) / 3.0)


def test_completion_measure_rolls_up_by_progress_weight_and_decides_completion():
    # 4th ed. RB.1.1b / RB.1.3a: adlcp:completionThreshold completedByMeasure on a cluster.
    tree = course(
        leaf("a", progress_weight=3.0),
        leaf("b"),
        completed_by_measure=True,
        min_progress_measure=0.8,
    )
    tracking = new_tracking()
    navigate(tree, tracking, "choice", "a")
    report(tree, tracking, "a", {"cmi.progress_measure": "1", "cmi.completion_status": "completed"})
    assert tracking["activities"]["root"]["amount"] == pytest.approx(0.75)
    assert root_status(tree, tracking)[0] == "incomplete"
    navigate(tree, tracking, "choice", "b")
    report(tree, tracking, "b", {"cmi.progress_measure": "0.2"})
    assert tracking["activities"]["root"]["amount"] == pytest.approx(0.8)
    assert root_status(tree, tracking)[0] == "completed"


def test_reported_status_is_the_one_the_lms_evaluates():
    # RTE 4.2.4.1 / 4.2.22: a threshold and a passing score override what the SCO says.
    tree = course(leaf("a"), leaf("b"))
    tracking = new_tracking()
    navigate(tree, tracking, "choice", "a")
    report(tree, tracking, "a", {
        "cmi.completion_status": "completed", "cmi.completion_threshold": "0.9",
        "cmi.progress_measure": "0.5", "cmi.success_status": "passed",
        "cmi.scaled_passing_score": "0.7", "cmi.score.scaled": "0.4",
    })  # fmt: skip
    record = tracking["activities"]["a"]
    assert (record["progress_known"], record["completed"]) == (True, False)
    assert record["objectives"]["#primary"]["satisfied"] is False


# ---------------------------------------------------------------- global objectives


def test_global_objective_carries_a_measure_that_satisfies_by_measure():
    write = [{"target": "g", "write_satisfied": True, "write_measure": True}]
    read = [{"target": "g", "read_satisfied": False, "read_measure": True}]
    skip = {"action": "skip", "conditions": [{"condition": "satisfied"}]}
    tree = course(
        leaf("pretest", objectives=[{"id": "p", "primary": True, "maps": write}]),
        leaf("lesson", pre=[skip], objectives=[
            {"id": "l", "primary": True, "satisfied_by_measure": True, "min_measure": 0.6,
             "maps": read}]),
        leaf("end"),
        **FLOW,
    )  # fmt: skip
    tracking = new_tracking()
    navigate(tree, tracking, "start")
    report(tree, tracking, "pretest", {"cmi.score.scaled": "0.8", "cmi.success_status": "failed"})
    assert tracking["globals"]["g"]["measure"] == 0.8
    # The lesson does not read the (failed) status, only the measure: 0.8 >= 0.6.
    assert navigate(tree, tracking, "continue").deliver == "end"


def test_objectives_global_to_system_comes_from_the_organization():
    assert fixture_tree(REMEDIATION).global_to_system is False
    tree = course(leaf("a"))
    assert tree.global_to_system is True  # the SN default
