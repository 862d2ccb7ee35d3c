"""The A/B engine on the demo churn experiment: known true lifts are recovered."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from impact.analysis.ab import experiment_readout, readout_frame, segment_readout
from impact.demo import truth as T
from impact.demo.churn import build
from impact.stats import PairedStats, SampleStats
from impact.stats.ab import cuped_difference, mean_difference
from impact.stats.experiment import ReadoutOptions


def test_demo_readout_recovers_the_true_lifts(demo_store):
    result = experiment_readout(demo_store, T.EXPERIMENT)
    revenue = {e.label: e for e in result.readout.estimates if e.metric == "revenue_28d"}
    retention = {e.label: e for e in result.readout.guardrails if e.metric == "retention"}
    for arm in ("model-v1", "model-v2"):
        r = revenue[f"{arm} vs {T.CONTROL}"]
        assert r.ci_low <= T.REVENUE_EFFECT[arm] <= r.ci_high, r
        assert r.method.startswith("CUPED") and r.details["variance_reduction"] > 0.5
        k = retention[f"{arm} vs {T.CONTROL}"]
        assert k.ci_low <= T.RETENTION_EFFECT[arm] <= k.ci_high, k
    assert not result.readout.srm.mismatch
    table = readout_frame(result)
    assert set(table["kind"]) == {"primary", "guardrail"} and len(table) == 4


def test_demo_segments_are_exploratory_and_add_up(demo_store):
    estimates = segment_readout(demo_store, T.EXPERIMENT, "revenue_28d", "region", top=3)
    assert estimates and all("exploratory" in e.warnings[-1] for e in estimates)
    values = {e.segment for e in estimates}
    assert "other" in values and len(values) == 4
    assert all("Holm" in e.correction for e in estimates)


def demo_summaries(rng, customers):
    """Per-arm summaries of one fresh demo draw, by numpy on the generated rows."""
    tables = build(rng, customers)
    a, o = tables["assignments"], tables["outcomes"]
    arm = np.array(a["arm"].to_pylist())
    units = {u: i for i, u in enumerate(a["unit_id"].to_pylist())}
    owner = np.array([units[u] for u in o["unit_id"].to_pylist()])
    assigned = a["assigned_at"].cast("int64").to_numpy()[owner]
    at = o["observed_at"].cast("int64").to_numpy()
    revenue = pc.fill_null(o["revenue"], 0.0).to_numpy()
    post = np.bincount(owner, revenue * (at >= assigned), minlength=customers)
    pre = np.bincount(owner, revenue * (at < assigned), minlength=customers)
    out = {}
    for name in T.ARMS:
        y, x = post[arm == name], pre[arm == name]
        out[name] = PairedStats(
            SampleStats(len(y), y.sum(), (y * y).sum()),
            SampleStats(len(x), x.sum(), (x * x).sum()),
            (x * y).sum(),
        )
    return out


def test_intervals_cover_the_demo_truth():
    rng = np.random.default_rng(20261125)
    reps, covered_welch, covered_cuped = 1000, 0, 0
    for _ in range(reps):
        arms = demo_summaries(rng, 1200)
        for name in ("model-v1", "model-v2"):
            truth = T.REVENUE_EFFECT[name]
            w = mean_difference(arms[T.CONTROL].y, arms[name].y)
            others = [a for k, a in arms.items() if k not in (T.CONTROL, name)]
            c = cuped_difference(arms[T.CONTROL], arms[name], others=others)
            covered_welch += w.ci_low <= truth <= w.ci_high
            covered_cuped += c.ci_low <= truth <= c.ci_high
    assert 0.93 <= covered_welch / (2 * reps) <= 0.97
    assert 0.93 <= covered_cuped / (2 * reps) <= 0.97


def test_readout_options_switch_methods(demo_store):
    plain = experiment_readout(demo_store, T.EXPERIMENT, ReadoutOptions(cuped=False))
    relative = experiment_readout(demo_store, T.EXPERIMENT, ReadoutOptions(relative=True))
    sequential = experiment_readout(demo_store, T.EXPERIMENT, ReadoutOptions(sequential=True))
    first = {r.readout.estimates[0].method for r in (plain, relative, sequential)}
    assert first == {
        "Welch t-test",
        "CUPED (regression adjustment), relative lift",
        "CUPED (regression adjustment); always-valid (confidence sequence, ρ tuned at 5,000)",
    }
    fixed = experiment_readout(demo_store, T.EXPERIMENT).readout.estimates[0]
    s = sequential.readout.estimates[0]
    assert s.effect == pytest.approx(fixed.effect, rel=1e-12)  # parallel sums: last bits vary
    assert s.ci_high - s.ci_low > fixed.ci_high - fixed.ci_low


def test_recs_readout_covers_the_truth_and_its_guardrail_fails(demo_store):
    """The recommendations test: the true lift in order value inside its interval, which
    holds 0 (no clear effect); CUPED's effect and se are OLS with the pre-period value on
    the stored rows; returns rise beyond the one point tolerated, so the guardrail fails."""
    import statsmodels.formula.api as smf

    readout = experiment_readout(demo_store, T.RECS_EXPERIMENT).readout
    [order] = [e for e in readout.estimates if e.metric == "order_value_28d"]
    assert order.ci_low < T.ORDER_EFFECT["recs-v1"] < order.ci_high
    assert order.ci_low < 0 < order.ci_high and not order.significant
    units = demo_store.warehouse.frame(
        """SELECT a.unit_id, a.arm,
             coalesce(sum(o.value) FILTER (WHERE o.observed_at >= a.assigned_at), 0) AS y,
             coalesce(sum(o.value) FILTER (WHERE o.observed_at < a.assigned_at), 0) AS x
           FROM assignments a LEFT JOIN outcomes o ON o.unit_id = a.unit_id
             AND o.metric = 'order_value'
             AND o.observed_at >= a.assigned_at - INTERVAL 28 DAY
             AND o.observed_at < a.assigned_at + INTERVAL 28 DAY
           WHERE a.experiment = ? GROUP BY a.unit_id, a.arm""",
        [T.RECS_EXPERIMENT],
    )
    units["treated"] = (units["arm"] == "recs-v1").astype(float)
    units["x_centred"] = units["x"] - units["x"].mean()
    fit = smf.ols("y ~ treated + x_centred", units).fit(cov_type="HC1")
    assert order.effect == pytest.approx(fit.params["treated"], abs=1e-6)
    assert order.se == pytest.approx(fit.bse["treated"], rel=2e-3)
    [returns] = [g for g in readout.guardrails if g.metric == "returns"]
    assert returns.ci_low < T.RETURN_EFFECT["recs-v1"] < returns.ci_high
    assert returns.ci_low > T.RETURN_TOLERANCE and not returns.details["guardrail_passed"]
    assert not readout.srm.mismatch
