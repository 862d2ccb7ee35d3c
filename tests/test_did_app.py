"""The Rollouts page's checks, aggregations, event window and confidence level, driven with
Streamlit's AppTest on the demo rollout; every number against the readout it should show."""

from __future__ import annotations

import math

import pytest

from impact.analysis.did import rollout_options, rollout_readout
from impact.demo import truth as T
from impact.formats import amount, p_cell
from impact.ui import escape

TILE = "Change in handling_minutes since adoption"


def _open(at):
    at.switch_page("pages/rollouts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _tile(at):
    return next(m.value for m in at.metric if m.label == TILE)


def _options(store, **changes):
    return rollout_options(store, T.ROLLOUT_STUDY, estimator="cs", **changes)


def _captions(at):
    return " ".join(c.value for c in at.caption)


def test_rollouts_page_shows_every_check_and_the_four_aggregations(demo_app, demo_store):
    at = _open(demo_app)
    # the page reads the study's own options (clustered by region), changed by its widgets
    readout = rollout_readout(demo_store, T.ROLLOUT_STUDY, _options(demo_store))
    checks = _table(at, "null hypothesis")
    assert list(checks["check"]) == [c.name for c in readout.checks]
    assert len(checks) == 3  # pre-trends, the Callaway–Sant'Anna pre-test, the placebo
    assert list(checks["result"]) == [c.outcome for c in readout.checks]
    assert set(checks["result"]) <= {"passed", "failed", "not run"}
    for shown, check in zip(checks["p_value"], readout.checks, strict=True):
        assert shown == (p_cell(check.p_value) if math.isfinite(check.p_value) else "–")
    # The demo's 32 regions cannot separate its 55 pre-adoption cells: not run, and why.
    pretest = checks.iloc[1]
    assert pretest["result"] == "not run" and "singular" in pretest["note"]
    aggregations = _table(at, "aggregation")
    assert list(aggregations["aggregation"]) == ["simple", "dynamic", "group", "calendar"]
    for row in aggregations.itertuples():
        assert row.effect == pytest.approx(readout.aggregations[row.aggregation].estimate.effect)

    next(b for b in at.selectbox if b.label == "Headline aggregation").set_value("dynamic").run()
    assert not at.exception, [e.value for e in at.exception]
    dynamic = rollout_readout(
        demo_store, T.ROLLOUT_STUDY, _options(demo_store, aggregate="dynamic")
    ).estimate
    shown = amount(dynamic.effect, "minutes", signed=True)  # with the metric's unit
    assert _tile(at) == shown != amount(readout.estimate.effect, "minutes", signed=True)
    assert "Callaway–Sant'Anna (dynamic" in _captions(at)


def test_rollouts_page_follows_the_confidence_level_and_event_window(demo_app, demo_store):
    at = _open(demo_app)
    next(b for b in at.selectbox if b.label == "Confidence level").set_value(0.1).run()
    [leads] = [n for n in at.number_input if n.label.endswith("before adoption")]
    leads.set_value(2).run()
    [lags] = [n for n in at.number_input if n.label.endswith("after adoption")]
    lags.set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]
    options = _options(demo_store, alpha=0.1, leads=2, lags=1)
    readout = rollout_readout(demo_store, T.ROLLOUT_STUDY, options)
    e = readout.estimate
    low, high = (escape(amount(x, "minutes", signed=True)) for x in (e.ci_low, e.ci_high))
    assert f"90% CI {low} to {high}" in _captions(at)
    assert "below 0.1" in _captions(at)
    checks = _table(at, "null hypothesis")
    pretrend = readout.checks[0]
    assert pretrend.hypothesis == "all 1 leads before −1 are 0"  # leads = 2: one lead
    assert checks["null hypothesis"].iloc[0] == pretrend.hypothesis
    assert checks["p_value"].iloc[0] == p_cell(pretrend.p_value)
    assert "90% intervals" in " ".join(m.value for m in at.markdown)


def test_rollouts_page_says_the_data_chose_the_bootstrap_and_shows_p_with_its_floor(
    store, tmp_path
):
    from pathlib import Path

    import numpy as np
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    from test_did_panel import load, make_rollout
    from test_did_readout import _study

    from impact.analysis.did import p_text

    rng = np.random.default_rng(72)
    adoption = {f"u{i}": (4 if i < 4 else None) for i in range(8)}  # one date, 8 units
    load(store, tmp_path, *make_rollout(rng, adoption))
    _study(store)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=120)
    at = _open(at.run())
    e = rollout_readout(store, "s").estimate
    assert e.details["bootstrap_weights"] == "webb" and e.p_value >= e.details["p_resolution"]
    captions = _captions(at)
    assert next(b for b in at.selectbox if b.label == "Estimator").value == "twfe"
    unit = store.catalog.metric(store.catalog.study("s").primary_metric).unit
    low, high = (escape(amount(x, unit, signed=True)) for x in (e.ci_low, e.ci_high))
    assert f"95% CI {low} to {high}; {p_text(e)};" in captions
    assert "the more cautious of the wild cluster bootstrap (Webb's six-point weights" in captions
    assert escape("estimator chosen by the data: every treated unit adopts at once") in captions
    assert any(
        escape("chosen by the data: the more cautious of the wild cluster bootstrap's") in w.value
        for w in at.warning
    )
