"""Standard errors clustered by region (groups of whole units) in the warehouse, against
statsmodels' cluster covariance on the cell rows and a brute-force wild bootstrap."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from test_did_panel import WEEK0, load
from test_did_readout import _study
from typer.testing import CliRunner

from impact.analysis.did import rollout_readout
from impact.cli import app
from impact.errors import InvalidInput
from impact.options import RolloutOptions
from impact.queries.did.panel import Panel
from impact.queries.did.stored import PanelSource
from impact.stats.did.boot import wild_cluster_bootstrap
from impact.stats.did.cs import aggregate, group_time
from impact.stats.did.event import event_study
from impact.stats.did.twfe import did_2x2, twfe

REGION = PanelSource("s", "tickets", "minutes", cluster="region")
# Regions adopt together, except region 8 where one of its units adopts alone (a region
# holding treated and control units: its score mixes both groups).
REGION_START = {0: 4, 1: 4, 2: 4, 3: 6, 4: 6, 5: 6, 6: None, 7: None, 8: None}


def make_regional(rng, regions=9, per_region=4, weeks=10, drop=0.0, starts=REGION_START):
    shock = rng.normal(0, 2, (regions, weeks))  # shared by a region's units: why to cluster
    rows, adoption, region_of = [], {}, {}
    for i in range(regions * per_region):
        unit, r = f"u{i:02d}", i % regions
        start = starts[r] if not (r == regions - 1 and i < regions) else 5
        adoption[unit], region_of[unit] = start, f"R{r}"
        level = rng.normal(50, 8)
        for w in range(weeks):
            if rng.random() < drop:
                continue
            effect = -3.0 if start is not None and w >= start else 0.0
            for _ in range(int(rng.integers(1, 3))):
                day = pd.Timedelta(days=7 * w + int(rng.integers(0, 7)))
                y = level + 0.3 * w + shock[r, w] + effect + rng.normal(0, 2)
                rows.append((unit, WEEK0 + day, y, f"R{r}"))
    outcomes = pd.DataFrame(rows, columns=["unit_id", "observed_at", "minutes", "region"])
    rollouts = pd.DataFrame(
        {
            "study": "s",
            "unit_id": list(adoption),
            "treated_at": [
                WEEK0 + pd.Timedelta(days=7 * s + 1) if s is not None else pd.NaT
                for s in adoption.values()
            ],
        }
    )
    return rollouts, outcomes, region_of


def cells_of(outcomes, rollouts, region_of):
    monday = outcomes.observed_at.dt.tz_convert(None).dt.to_period("W-SUN").dt.start_time
    cells = outcomes.assign(week=(monday - WEEK0.tz_convert(None)).dt.days // 7)
    cells = cells.groupby(["unit_id", "week"], as_index=False).minutes.mean()
    start = (rollouts.treated_at - WEEK0).dt.days // 7
    cells = cells.merge(rollouts.assign(start=start)[["unit_id", "start"]], on="unit_id")
    cells["d"] = (cells.start.notna() & (cells.week >= cells.start)).astype(float)
    cells["region"] = cells.unit_id.map(region_of)
    cells["w"] = cells.week.astype(str)
    return cells


def by_region(formula, cells, correction=True):
    groups = pd.factorize(cells.region)[0]
    kwds = {"groups": groups, "use_correction": correction}
    return smf.ols(formula, cells).fit(cov_type="cluster", cov_kwds=kwds)


@pytest.mark.parametrize("drop", [0.0, 0.15], ids=["balanced", "unbalanced"])
def test_twfe_by_region_equals_statsmodels_cluster_covariance(store, tmp_path, drop):
    rollouts, outcomes, region_of = make_regional(np.random.default_rng(31), drop=drop)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, REGION) as panel:
        moments = panel.within()
    e = twfe(moments, k="statsmodels", cluster="region")
    cells = cells_of(outcomes, rollouts, region_of)
    fit = by_region("minutes ~ d + C(unit_id) + C(w)", cells)
    assert moments.balanced == (drop == 0.0)
    assert e.effect == pytest.approx(fit.params["d"], abs=1e-8)
    # statsmodels: G/(G − 1)·(N − 1)/(N − K) with G = 9 regions, K = every dummy.
    assert e.se == pytest.approx(fit.bse["d"], rel=1e-7)
    assert e.n["clusters"] == 9 and e.n["units"] == 36 and e.df == 8
    assert "CR1 by region" in e.method
    with Panel.open(store.warehouse, PanelSource("s", "tickets", "minutes")) as panel:
        unit = twfe(panel.within())
    assert unit.effect == pytest.approx(e.effect, abs=1e-12)
    assert unit.se < e.se  # region shocks: unit clusters understate the uncertainty


def test_2x2_by_region_equals_statsmodels_with_a_mixed_region(store, tmp_path):
    rollouts, outcomes, region_of = make_regional(np.random.default_rng(32), drop=0.1)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, REGION) as panel:
        e = did_2x2(*panel.cells(), cluster="region")
    cells = cells_of(outcomes, rollouts, region_of)
    cells["treated"] = cells.start.notna().astype(float)
    cells["post"] = (cells.week >= cells.start.min()).astype(float)
    assert cells[cells.region == "R8"].treated.nunique() == 2
    fit = by_region("minutes ~ treated * post", cells)
    assert e.effect == pytest.approx(fit.params["treated:post"], abs=1e-9)
    assert e.se == pytest.approx(fit.bse["treated:post"], rel=1e-9)
    assert e.n["clusters"] == 9 and e.df == 8


@pytest.mark.parametrize("drop", [0.0, 0.15], ids=["balanced", "unbalanced"])
def test_event_study_by_region_equals_statsmodels(store, tmp_path, drop):
    rollouts, outcomes, region_of = make_regional(np.random.default_rng(33), drop=drop)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, REGION) as panel:
        m, scores = panel.event(leads=3, lags=2)
    es = event_study(m, scores, k="statsmodels", cluster="region")
    cells = cells_of(outcomes, rollouts, region_of)
    event = (cells.week - cells.start).clip(-3, 2)
    names = []
    for ev in m.events:
        cells[f"e{ev + 3}"] = (event == ev).astype(float)
        names.append(f"e{ev + 3}")
    fit = by_region(f"minutes ~ {' + '.join(names)} + C(unit_id) + C(w)", cells)
    table = es.table.set_index("event_time")
    for ev, name in zip(m.events, names, strict=True):
        assert table.coef[ev] == pytest.approx(fit.params[name], abs=1e-8)
        assert table.se[ev] == pytest.approx(fit.bse[name], rel=1e-7)
    leads = [n for ev, n in zip(m.events, names, strict=True) if ev < -1]
    wald = fit.wald_test(", ".join(f"{n} = 0" for n in leads), use_f=False, scalar=True)
    assert es.pretrend_wald == pytest.approx(float(wald.statistic), rel=1e-7)
    assert m.clusters == 9 and es.estimate.df == 8


def test_callaway_santanna_cells_by_region_equal_statsmodels_on_changes(store, tmp_path):
    rollouts, outcomes, region_of = make_regional(np.random.default_rng(34))
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, REGION) as panel:
        gt = group_time(panel.cohorts(), "never")
    cells = cells_of(outcomes, rollouts, region_of)
    wide = cells.pivot(index="unit_id", columns="week", values="minutes")
    units = cells.drop_duplicates("unit_id").set_index("unit_id").loc[wide.index]
    for row in gt.cells.itertuples():
        base = row.group - 1 if row.period >= row.group else row.period - 1
        frame = pd.DataFrame(
            {
                "dy": wide[row.period] - wide[base],
                "treat": (units.start == row.group).astype(float),
                "region": units.region,
            }
        )
        frame = frame[(units.start == row.group) | units.start.isna()]
        # A difference of means is OLS on a treated dummy; its influence-function variance
        # is the cluster sandwich, here times G/(G − 1) (CR1 without the N − K part).
        fit = by_region("dy ~ treat", frame, correction=False)
        assert row.att == pytest.approx(fit.params["treat"], abs=1e-9)
        assert row.se == pytest.approx(fit.bse["treat"] * np.sqrt(9 / 8), rel=1e-9)
    simple = aggregate(gt, "simple", cluster="region").estimate
    assert simple.n["clusters"] == 9 and "by region" in simple.method


def test_wild_bootstrap_by_region_equals_brute_force_refits(store, tmp_path):
    starts = {0: 4, 1: 4, 2: 6, 3: 6, 4: 5, 5: None, 6: None, 7: None}
    rng = np.random.default_rng(35)
    rollouts, outcomes, region_of = make_regional(rng, regions=8, per_region=3, starts=starts)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, REGION) as panel:
        moments, cross = panel.within(), panel.cluster_cross()
    e = twfe(moments, k="statsmodels", cluster="region")
    boot = wild_cluster_bootstrap(
        cross.cy,
        cross.cd,
        e.small_sample_factor,
        own_y=cross.own_y,
        own_d=cross.own_d,
        units=cross.units,
        weights="rademacher",  # named: below 12 clusters the default is Webb's (see
        # test_did_boot_few.py for Webb's enumeration against refits)
    )
    assert boot.enumerated and boot.replications == 256 and cross.units == 24
    # Brute force: impose τ = 0, flip each region's restricted residuals, refit OLS with
    # every dummy and region-clustered SEs, count |t*| beyond the observed |t|.
    cells = cells_of(outcomes, rollouts, region_of)
    observed = by_region("minutes ~ d + C(unit_id) + C(w)", cells).tvalues["d"]
    restricted = smf.ols("minutes ~ C(unit_id) + C(w)", cells).fit()
    region_index = pd.factorize(cells.region, sort=True)[0]
    beyond = 0
    for signs in itertools.product((-1.0, 1.0), repeat=8):
        flipped = restricted.fittedvalues + np.array(signs)[region_index] * restricted.resid
        star = by_region("y ~ d + C(unit_id) + C(w)", cells.assign(y=flipped)).tvalues["d"]
        beyond += abs(star) > abs(observed) * (1 + 1e-10)
    assert boot.p_value == pytest.approx(beyond / 256, abs=1e-12)
    assert boot.ci_low < e.effect < boot.ci_high


def test_readout_and_cli_cluster_by_a_region_segment(store, tmp_path):
    rollouts, outcomes, region_of = make_regional(np.random.default_rng(36))
    load(store, tmp_path, rollouts, outcomes)
    _study(store)
    readout = rollout_readout(store, "s", RolloutOptions(estimator="twfe", cluster="region"))
    e = readout.estimate
    assert e.n["clusters"] == 9 and "CR1 by region" in e.method
    assert "wild cluster bootstrap" in e.method  # 9 regions: too few for CR1 alone
    assert any("Only 9 clusters (regions)" in w.message for w in e.warnings)
    result = CliRunner().invoke(app, ["did", "s", "--cluster", "region", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    cs = rollout_readout(store, "s", RolloutOptions(cluster="region")).estimate
    assert out["effect"] == pytest.approx(cs.effect, rel=1e-9)
    assert out["se"] == pytest.approx(cs.se, rel=1e-9)
    assert out["n"]["clusters"] == 9 and "by region" in out["method"]


def test_cli_rows_file_clusters_by_a_column(tmp_path):
    rollouts, outcomes, region_of = make_regional(np.random.default_rng(37))
    cells = cells_of(outcomes, rollouts, region_of)
    cells.assign(start=cells.start.astype("Int64")).to_csv(tmp_path / "p.csv", index=False)
    args = ["did", "--rows", str(tmp_path / "p.csv"), "--unit", "unit_id", "--time", "week"]
    args += ["--outcome", "minutes", "--treated-at", "start", "--estimator", "twfe"]
    result = CliRunner().invoke(app, [*args, "--cluster", "region", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    fit = by_region("minutes ~ d + C(unit_id) + C(w)", cells)
    assert out["effect"] == pytest.approx(fit.params["d"], abs=1e-8)
    # fixest's K counts the 10 period effects and the slope (units nest in regions);
    # statsmodels' counts the 36 unit effects too: the SEs differ by √((N − 46)/(N − 11)).
    n = len(cells)
    assert out["se"] == pytest.approx(fit.bse["d"] * np.sqrt((n - 46) / (n - 11)), rel=1e-7)
    assert out["n"]["clusters"] == 9
    # A unit whose rows name two regions cannot be clustered: a clear error, exit 1.
    cells.loc[cells.index[0], "region"] = "R5"
    cells.to_csv(tmp_path / "split.csv", index=False)
    args[2] = str(tmp_path / "split.csv")
    bad = CliRunner().invoke(app, [*args, "--cluster", "region"])
    assert bad.exit_code != 0
    assert "'u00' have more than one 'region' value" in bad.output


def test_units_without_the_cluster_segment_are_named(store, tmp_path):
    rollouts, outcomes, _ = make_regional(np.random.default_rng(38))
    outcomes.loc[outcomes.unit_id == "u03", "region"] = None
    load(store, tmp_path, rollouts, outcomes)
    with (
        pytest.raises(InvalidInput, match=r"'u03' lack a 'region' value"),
        Panel.open(store.warehouse, REGION),
    ):
        pass
    area = "has a segment 'area' \\(its units' segments: 'region'\\)"
    by_area = PanelSource("s", "tickets", "minutes", cluster="area")
    with pytest.raises(InvalidInput, match=area), Panel.open(store.warehouse, by_area):
        pass


def test_rollouts_page_offers_the_region_and_shows_its_numbers(store, tmp_path):
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    starts = {r: (4, 6, None)[r % 3] for r in range(12)}
    rng = np.random.default_rng(39)
    rollouts, outcomes, _ = make_regional(rng, regions=12, per_region=3, starts=starts)
    load(store, tmp_path, rollouts, outcomes)
    _study(store)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=120)
    at = at.run().switch_page("pages/rollouts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    choice = next(b for b in at.selectbox if b.label == "Cluster standard errors by")
    assert choice.options == ["unit", "region"]
    choice.set_value("region").run()
    assert not at.exception, [e.value for e in at.exception]
    e = rollout_readout(store, "s", RolloutOptions(cluster="region")).estimate
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Change in minutes since adoption"] == f"{e.effect:+,.2f} minutes"
    captions = " ".join(c.value for c in at.caption)
    assert f"95% CI {e.ci_low:+,.2f} minutes to {e.ci_high:+,.2f} minutes" in captions
    assert "analytic SE by region" in captions and "12 clusters (regions)" in captions
    downloads = {b.label for b in at.get("download_button")}
    assert "Download effect by periods since adoption (CSV)" in downloads
    unit = rollout_readout(store, "s").estimate
    assert e.ci_high - e.ci_low > unit.ci_high - unit.ci_low  # region shocks widen it


def test_a_study_setting_clusters_every_readout_of_it(store, tmp_path):
    from impact.analysis.assumptions import define_study
    from impact.analysis.value import _rollout_effect
    from impact.catalog import StudyBase

    rollouts, outcomes, _ = make_regional(np.random.default_rng(40))
    load(store, tmp_path, rollouts, outcomes)
    _study(store)
    unit = rollout_readout(store, "s").estimate
    region = rollout_readout(store, "s", RolloutOptions(cluster="region")).estimate
    study = StudyBase(
        name="s",
        kind="did",
        unit="store",
        primary_metric="minutes",
        period="week",
        settings={"cluster": "region"},
    )
    define_study(store, study)
    stored = rollout_readout(store, "s").estimate
    # (DuckDB's parallel sums may differ in the last bits between runs.)
    assert stored.method == region.method and stored.se == pytest.approx(region.se, rel=1e-12)
    assert _rollout_effect(store, "s").se == pytest.approx(region.se, rel=1e-12)  # the money
    back = rollout_readout(store, "s", RolloutOptions(cluster="unit")).estimate
    assert back.se == pytest.approx(unit.se, rel=1e-12) and "by unit" in back.method
    result = CliRunner().invoke(app, ["did", "s", "--json"])
    assert json.loads(result.stdout)["n"]["clusters"] == 9


def regional_rows(rng, starts, region_of, weeks=8, missing=()):
    """One outcome row per unit-week (skipping `missing`), with weekly region shocks."""
    shock = {r: rng.normal(0, 2, weeks) for r in set(region_of.values())}
    rows = []
    for unit, start in starts.items():
        level = rng.normal(50, 8)
        for w in range(weeks):
            if (unit, w) in missing:
                continue
            effect = -3.0 if start is not None and w >= start else 0.0
            y = level + 0.3 * w + shock[region_of[unit]][w] + effect + rng.normal(0, 2)
            rows.append((unit, WEEK0 + pd.Timedelta(days=7 * w + 1), y, region_of[unit]))
    outcomes = pd.DataFrame(rows, columns=["unit_id", "observed_at", "minutes", "region"])
    return outcomes


def rollout_rows(starts, study="s"):
    return pd.DataFrame(
        {
            "study": study,
            "unit_id": list(starts),
            "treated_at": [
                WEEK0 + pd.Timedelta(days=7 * s + 1) if s is not None else pd.NaT
                for s in starts.values()
            ],
        }
    )


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_callaway_santanna_by_region_from_the_warehouse_drops_whole_regions(
    store, tmp_path, control
):
    """Region 0 is treated from the first week (left out), region 1 misses a week (left out,
    unbalanced), region 9 mixes cohorts: 8 clusters remain. Every aggregation's SE equals
    numerical influence functions of an independent estimator on the kept unit rows."""
    from test_did_cluster_sim import weighted_cs

    starts, region_of, missing = {}, {}, {("u20", 4)}
    for r in range(10):
        for j in range(4):
            unit = f"u{r}{j}"
            region_of[unit] = f"R{r}"
            starts[unit] = 0 if r == 0 else (3, 5, None)[(j if r == 9 else r) % 3]
            if r == 1:
                missing.add((unit, 2))
    rng = np.random.default_rng(7)
    load(store, tmp_path, rollout_rows(starts), regional_rows(rng, starts, region_of, 8, missing))
    with Panel.open(store.warehouse, REGION) as panel:
        gt = group_time(panel.cohorts(), control)
        wide = panel.session.frame("SELECT unit_id, period, y FROM panel")
    wide = wide.pivot(index="unit_id", columns="period", values="y")
    kept = [u for u in wide.dropna().index if starts[u] != 0]
    y = wide.loc[kept].to_numpy()
    start = np.array([-1 if starts[u] is None else starts[u] for u in kept])
    region = np.array([region_of[u] for u in kept])
    ones = np.ones(len(kept))
    for how in ("simple", "dynamic", "group", "calendar"):
        e = aggregate(gt, how, cluster="region").estimate
        assert e.effect == pytest.approx(weighted_cs(ones, start, y, control, how), abs=1e-9)
        phi = []
        for r in np.unique(region):
            bump = 1e-6 * (region == r)
            up = weighted_cs(ones + bump, start, y, control, how)
            down = weighted_cs(ones - bump, start, y, control, how)
            phi.append((up - down) / 2e-6)
        assert e.se == pytest.approx(np.sqrt(np.sum(np.square(phi)) * 8 / 7), rel=1e-6)
        assert e.n["clusters"] == 8 and e.df == 7


def test_few_regions_skip_the_joint_pretrend_test_and_one_region_is_refused(store, tmp_path):
    rng = np.random.default_rng(8)
    starts = {f"u{i:02d}": (4, 5, None)[i % 3] for i in range(18)}
    region_of = {u: f"R{i % 3}" for i, u in enumerate(starts)}
    load(store, tmp_path, rollout_rows(starts), regional_rows(rng, starts, region_of, 9))
    with Panel.open(store.warehouse, REGION) as panel:
        m, scores = panel.event(leads=4, lags=2)
    es = event_study(m, scores, cluster="region")
    assert m.clusters == 3 and np.isnan(es.pretrend_wald)
    expected = "3 leads with only 3 clusters (regions); use at most 2"
    assert any(expected in w.message for w in es.estimate.warnings)
    _study(store)
    readout = rollout_readout(store, "s", RolloutOptions(estimator="twfe", cluster="region"))
    assert any("cannot be tested jointly" in w.message for w in readout.estimate.warnings)
    # One region for all units: no clustered interval, a clear error from every estimator.
    cells = cells_of(regional_rows(rng, starts, region_of, 9), rollout_rows(starts), region_of)
    cells = cells.assign(one="R0", start=cells.start.astype("Int64"))
    cells.to_csv(tmp_path / "p.csv", index=False)
    args = ["did", "--rows", str(tmp_path / "p.csv"), "--unit", "unit_id", "--time", "week"]
    args += ["--outcome", "minutes", "--treated-at", "start", "--cluster", "one"]
    for estimator in ("twfe", "2x2", "event", "cs"):
        result = CliRunner().invoke(app, [*args, "--estimator", estimator])
        assert result.exit_code == 1, result.output
        assert "at least" in result.output and "clusters" in result.output, result.output


def test_units_adopting_after_the_last_week_count_as_untreated_everywhere(store, tmp_path):
    rng = np.random.default_rng(9)
    starts = {f"u{i:02d}": (3, 5, None, 12)[i % 4] for i in range(40)}  # week 12: after
    region_of = {u: f"R{i % 10}" for i, u in enumerate(starts)}
    outcomes = regional_rows(rng, starts, region_of, 9)
    never = {u: (None if s == 12 else s) for u, s in starts.items()}
    rollouts = pd.concat([rollout_rows(starts, "s"), rollout_rows(never, "s2")])
    load(store, tmp_path, rollouts, outcomes)
    late, plain = REGION, PanelSource("s2", "tickets", "minutes", cluster="region")
    with Panel.open(store.warehouse, late) as a, Panel.open(store.warehouse, plain) as b:
        np.testing.assert_allclose(
            a.event()[0].coefficients(), b.event()[0].coefficients(), rtol=1e-9
        )
        pa, pb = a.placebo(), b.placebo()
    assert pa.treated_units == pb.treated_units == 20
    assert pa.sxy == pytest.approx(pb.sxy, rel=1e-9)
