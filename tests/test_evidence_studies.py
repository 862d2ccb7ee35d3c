"""Each evidence check, made true on a copy of the demo, downgrades the verdict and names
itself; the demo's own verdicts (issue 13)."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3

import pytest

from impact.analysis.verdict import headlines, rollout_headlines
from impact.demo import truth as T


@pytest.fixture
def copy(demo_store, tmp_path):
    from impact.catalog import Catalog
    from impact.store import Store
    from impact.warehouse import Warehouse

    shutil.copyfile(demo_store.warehouse.path.resolve(), tmp_path / "impact.duckdb")
    with (
        sqlite3.connect(demo_store.catalog.url.removeprefix("sqlite:///")) as source,
        sqlite3.connect(tmp_path / "c.sqlite") as target,
    ):
        source.backup(target)
    return Store(Warehouse(tmp_path / "impact.duckdb"), Catalog(f"sqlite:///{tmp_path}/c.sqlite"))


def churn(store):
    return next(h for h in headlines(store) if h.text.startswith(T.EXPERIMENT))


def test_the_demo_verdicts_and_the_checks_behind_them(demo_store):
    line = churn(demo_store)
    assert line.strength == "conclusive" and line.said.startswith("Conclusive — ")
    checks = {f.check: f for f in line.evidence.findings}
    assert checks["sample ratio"].passed and checks["guardrail retention"].passed
    assert checks["power"].passed and "the interval lies beyond" in checks["power"].message
    assert "best of 2 arms" in " ".join(line.evidence.notes)
    [rollout] = rollout_headlines(demo_store)
    # The triage rollout once had 8 clusters and single-unit cohorts, which weakened it;
    # at 88 sites in 32 regions (clustered by region) every check behind it passes.
    assert rollout.strength == "conclusive" and rollout.positive
    assert not rollout.evidence.reasons
    checks = {f.check: f for f in rollout.evidence.findings}
    assert checks["pre-trends (event-study leads)"].passed and checks["placebo adoption"].passed
    assert checks["model health"].passed  # its region drift is feature drift, by design
    # The recommendations test: no clear lift in order value, and a returns guardrail that
    # fails: harmful, whatever the primary metric says.
    recs = next(h for h in headlines(demo_store) if h.study == T.RECS_EXPERIMENT)
    assert recs.evidence.start == "inconclusive" and recs.strength == "harmful"
    assert "no arm shows a clear effect on order_value_28d" in recs.text
    assert "guardrail returns degraded beyond its tolerance" in recs.said
    assert not recs.positive and not recs.evidence.sure


def test_a_failed_guardrail_makes_the_verdict_harmful(copy):
    retention = copy.catalog.metric("retention")
    copy.catalog.save_metric(retention.model_copy(update={"direction": "lower"}))
    line = churn(copy)
    assert line.strength == "harmful" and not line.positive
    assert "guardrail retention degraded beyond its tolerance" in line.said
    assert not line.evidence.sure


def test_a_sample_ratio_mismatch_makes_it_unreliable(copy):
    study = copy.catalog.study(T.EXPERIMENT)
    split = {T.CONTROL: 0.6, **{a: 0.2 for a in T.ARMS if a != T.CONTROL}}
    copy.catalog.save_study(study.model_copy(update={"planned_split": split}))
    line = churn(copy)
    assert line.strength == "unreliable" and line.blocking
    assert "Sample ratio mismatch" in line.said or "mismatch" in line.said


def test_a_study_that_cannot_detect_its_break_even_effect_says_so(copy, monkeypatch):
    """The break-even effect (running cost / (yearly volume × money per unit)) inside an
    interval that a sample this size cannot resolve: underpowered, named, and inconclusive
    stays inconclusive."""
    import impact.analysis.value as value
    from impact.analysis.ab import experiment_readout
    from impact.analysis.evidence import ab_evidence

    study = copy.catalog.study(T.EXPERIMENT)
    readout = experiment_readout(copy, study, metrics=["revenue_28d"]).readout
    best = max(readout.estimates, key=lambda e: e.effect)
    mde = next(p.mde for p in readout.power if p.comparison == best.label)
    needed = mde / 2  # a cheap model: half of what this sample can detect
    monkeypatch.setattr(value, "break_even_effect", lambda store, study: needed)
    weak = dataclasses.replace(best, p_value=0.2, ci_low=-0.5, ci_high=needed + 1)
    evidence = ab_evidence(copy, study, readout, weak, True)
    power = next(f for f in evidence.findings if f.check == "power")
    assert power.passed is False and "cannot detect" in power.message
    assert "underpowered" in " ".join(evidence.reasons)
    assert evidence.strength == "inconclusive"
    expected = 500_000 / (240_000 * 1.0)  # the demo's churn model: USD per customer
    monkeypatch.undo()
    copy.catalog.set_assumption("running_cost", 500_000, scope=T.CHURN_MODEL)
    assert value.break_even_effect(copy, study) == pytest.approx(expected)
