"""The warehouse path of the 2×2 and Callaway–Sant'Anna: SQL sums against statsmodels, the
pure numpy summaries, and the demo triage rollout's known truth; the Panel's methods in
any order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from impact.demo import truth as T
from impact.ingest import ingest_file
from impact.queries.did.panel import Panel
from impact.queries.did.stored import PanelSource
from impact.stats.did.cs import NEVER, CohortMoments, aggregate, group_time
from impact.stats.did.twfe import did_2x2

WEEK0 = pd.Timestamp("2026-01-05", tz="UTC")  # a Monday
SOURCE = PanelSource("s", "tickets", "minutes")


def make_rollout(rng, adoption: dict[str, int | None], weeks=10, drop=()):
    rows = []
    for unit, start in adoption.items():
        level = rng.normal(50, 8)
        for w in range(weeks):
            if (unit, w) in drop:
                continue
            effect = -2.0 - 0.5 * (w - start) if start is not None and w >= start else 0.0
            for _ in range(int(rng.integers(1, 4))):
                day = pd.Timedelta(days=7 * w + int(rng.integers(0, 7)))
                rows.append((unit, WEEK0 + day, level + 0.3 * w + effect + rng.normal(0, 3)))
    outcomes = pd.DataFrame(rows, columns=["unit_id", "observed_at", "minutes"])
    rollouts = pd.DataFrame(
        {
            "study": "s",
            "unit_id": list(adoption),
            "treated_at": [
                WEEK0 + pd.Timedelta(days=7 * s + 2) if s is not None else pd.NaT
                for s in adoption.values()
            ],
        }
    )
    return rollouts, outcomes


def load(store, tmp_path, rollouts, outcomes):
    rollouts.to_parquet(tmp_path / "r.parquet")
    outcomes.to_parquet(tmp_path / "o.parquet")
    ingest_file(store, tmp_path / "r.parquet", "rollouts")
    ingest_file(store, tmp_path / "o.parquet", "outcomes", dataset="tickets")


def cell_means(outcomes, rollouts):
    week = outcomes.observed_at.dt.tz_convert(None).dt.to_period("W-SUN").dt.start_time
    cells = outcomes.assign(week=(week - WEEK0.tz_convert(None)).dt.days // 7)
    cells = cells.groupby(["unit_id", "week"], as_index=False).minutes.mean()
    start = (rollouts.treated_at - WEEK0).dt.days // 7
    return cells.merge(rollouts.assign(start=start)[["unit_id", "start"]], on="unit_id")


def test_2x2_equals_ols_treated_by_post_with_unit_clusters(store, tmp_path):
    rng = np.random.default_rng(5)
    adoption = {f"u{i:02d}": (6 if i < 14 else None) for i in range(30)}
    rollouts, outcomes = make_rollout(rng, adoption, drop={("u03", 2), ("u20", 8)})
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, SOURCE) as panel:
        e = did_2x2(*panel.cells())
    cells = cell_means(outcomes, rollouts)
    cells["treated"] = cells.start.notna().astype(float)
    cells["post"] = (cells.week >= 6).astype(float)
    fit = smf.ols("minutes ~ treated * post", cells).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(cells.unit_id)[0]}
    )
    assert e.effect == pytest.approx(fit.params["treated:post"], abs=1e-9)
    assert e.se == pytest.approx(fit.bse["treated:post"], rel=1e-9)  # CR1 with K = 4
    # The 2×2 formula of tests/reference/REFERENCES.md on the cell means.
    means = cells.groupby(["treated", "post"]).minutes.mean()
    assert e.effect == pytest.approx(
        (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0]), abs=1e-9
    )
    assert e.n == {"observations": len(cells), "units": 30, "clusters": 30, "treated_units": 14}


@pytest.mark.parametrize("wide_periods", [60, 0], ids=["one-row-per-unit", "self-join"])
def test_cohort_sums_in_sql_equal_the_numpy_summaries(store, tmp_path, wide_periods):
    rng = np.random.default_rng(6)
    starts = (3, 3, 3, 5, 5, 5, 7, 7, None, None, None, 0)
    adoption = {f"u{i:02d}": s for i, s in enumerate(starts * 3)}
    rollouts, outcomes = make_rollout(rng, adoption, drop={("u04", 1)})
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, SOURCE) as panel:
        m = panel.cohorts(wide_periods)
    assert m.unbalanced_units == 1
    cells = cell_means(outcomes, rollouts)
    cells = cells[cells.unit_id != "u04"]
    wide = cells.pivot(index="unit_id", columns="week", values="minutes")
    cohort = cells.groupby("unit_id").start.first().fillna(NEVER).astype(int)[wide.index]
    y = wide.to_numpy()
    ref = []
    for c in np.unique(cohort):
        block = y[cohort.to_numpy() == c]
        dev = block - block.mean(0)
        ref.append((c, len(block), block.mean(0), dev.T @ dev))
    assert list(m.cohorts) == [r[0] for r in ref]
    assert list(m.counts) == [r[1] for r in ref]
    np.testing.assert_allclose(m.means, [r[2] for r in ref], rtol=1e-12)
    np.testing.assert_allclose(m.cross, [r[3] for r in ref], rtol=1e-9, atol=1e-8)
    gt = group_time(m, "notyet")
    assert any("first period" in w.message for w in gt.warnings)  # cohort 0 is left out
    assert any("Unbalanced" in w.message for w in gt.warnings)
    pure = group_time(
        CohortMoments(m.periods, *(np.array(x) for x in zip(*ref, strict=True))), "notyet"
    )
    np.testing.assert_allclose(gt.cells[["att", "se"]], pure.cells[["att", "se"]], rtol=1e-9)


def test_demo_triage_rollout_recovers_the_true_minutes_saved(demo_store):
    source = PanelSource(T.ROLLOUT_STUDY, T.TICKETS_DATASET, "handling_minutes")
    with Panel.open(demo_store.warehouse, source) as panel:
        m = panel.cohorts()
    assert m.periods[0].date() == T.WEEK0.date() and len(m.periods) == T.WEEKS
    gt = group_time(m, "notyet")
    # Truth of the simple aggregate: P(G = g) among the 88 sites over post cells.
    weeks = list(T.ADOPTION_WEEK.values())
    sizes = {g: weeks.count(g) for g in set(weeks) - {None}}
    num = sum(n * T.att(g, t) for g, n in sizes.items() for t in range(g, T.WEEKS))
    den = sum(n for g, n in sizes.items() for t in range(g, T.WEEKS))
    e = aggregate(gt, "simple").estimate  # −4.33 [−4.91, −3.75] against −4.370
    assert e.ci_low < num / den < e.ci_high
    assert aggregate(group_time(m, "never"), "simple").estimate.ci_low < num / den
    dynamic = aggregate(gt, "dynamic").table.set_index("event_time")
    for event in (0, 4, 8):
        row = dynamic.loc[event]
        assert row.ci_low < T.triage_effect(event) < row.ci_high


def test_panel_methods_answer_the_same_in_any_order(store, tmp_path, monkeypatch):
    """No method relies on another having run first, and none overwrites what another
    reads (the placebo's cells are its own): the same moments whatever the order. Results
    are not kept between sessions here, so the second one computes each in SQL again."""
    monkeypatch.setenv("IMPACT_RESULT_CACHE", "0")
    rng = np.random.default_rng(13)
    adoption = {f"u{i:02d}": s for i, s in enumerate((3, 3, 5, 6, None, None) * 4)}
    load(store, tmp_path, *make_rollout(rng, adoption))
    with Panel.open(store.warehouse, SOURCE) as panel:
        facts, within, placebo = panel.facts(), panel.within(), panel.placebo(2)
        event, cohorts, cells = panel.event(3, 2), panel.cohorts(), panel.cells()
        assert panel.within() is within  # kept, not computed again
    with Panel.open(store.warehouse, SOURCE) as panel:
        cross = panel.cluster_cross()  # builds the within table it needs
        assert panel.placebo(2).sxy == pytest.approx(placebo.sxy, rel=1e-9)
        assert panel.cells()[2].squares == pytest.approx(cells[2].squares, rel=1e-9)
        np.testing.assert_allclose(panel.cohorts().cross, cohorts.cross, rtol=1e-9)
        np.testing.assert_allclose(panel.event(3, 2)[1], event[1], rtol=1e-9)
        assert panel.within().sxy == pytest.approx(within.sxy, rel=1e-9)
        assert panel.facts() == facts
    assert np.trace(cross.cy) == pytest.approx(within.sxy, rel=1e-9)
    assert placebo.observations < within.observations  # only the cells before adoption
