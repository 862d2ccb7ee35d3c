"""Evidence strength: the estimate sets where a verdict starts, and each failed check acts
by its kind (impact.stats.evidence)."""

from __future__ import annotations

import pytest

from impact.stats.evidence import Finding, grade


def fails(effect, check="c"):
    return Finding(check, False, effect, f"{check} failed")


def passes(effect, check="c"):
    return Finding(check, True, effect, f"{check} passed")


@pytest.mark.parametrize(
    ("significant", "good", "start"),
    [(True, True, "conclusive"), (True, False, "harmful"), (False, True, "inconclusive")],
)
def test_the_estimate_sets_the_start(significant, good, start):
    e = grade(significant, good, [passes("blocks"), passes("weakens")])
    assert e.strength == e.start == start and e.reasons == ()


@pytest.mark.parametrize(
    ("effect", "strength"),
    [
        ("blocks", "unreliable"),
        ("harms", "harmful"),
        ("weakens", "suggestive"),
        ("note", "conclusive"),
    ],
)
def test_each_kind_of_failed_check_acts_on_a_conclusive_verdict(effect, strength):
    e = grade(True, True, [fails(effect, "x"), passes("weakens", "y")])
    assert e.strength == strength
    assert e.reasons == (() if effect == "note" else ("x failed",))


def test_the_weakest_check_decides_and_every_failure_is_named():
    e = grade(True, True, [fails("weakens", "clusters"), fails("blocks", "srm")])
    assert e.strength == "unreliable" and e.reasons == ("clusters failed", "srm failed")
    assert not e.sure


def test_weakening_never_lifts_and_not_run_changes_nothing():
    assert grade(False, True, [fails("weakens")]).strength == "inconclusive"
    assert grade(True, False, [fails("weakens")]).strength == "harmful"
    assert grade(True, True, [Finding("pre-trend", None, "blocks", "not run")]).strength == (
        "conclusive"
    )


def test_only_harmful_and_unreliable_money_is_kept_out_of_the_sure_total():
    sure = {
        s: grade(*args, findings).sure
        for s, args, findings in [
            ("conclusive", (True, True), []),
            ("suggestive", (True, True), [fails("weakens")]),
            ("inconclusive", (False, True), []),
            ("harmful", (True, False), []),
            ("unreliable", (True, True), [fails("blocks")]),
        ]
    }
    assert sure == {
        "conclusive": True,
        "suggestive": True,
        "inconclusive": True,
        "harmful": False,
        "unreliable": False,
    }
