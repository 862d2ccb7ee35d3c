"""Rollout readouts through impact.analysis and `impact did`: stored study and file rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps
from test_did_panel import load, make_rollout
from typer.testing import CliRunner

from impact.analysis.did import rollout_options, rollout_readout
from impact.catalog import MetricDefinitionBase, StudyBase
from impact.cli import app
from impact.demo import truth as T
from impact.options import RolloutOptions

runner = CliRunner()


def test_demo_readout_defaults_to_callaway_santanna_and_covers_the_truth(demo_store):
    result = rollout_readout(demo_store, T.ROLLOUT_STUDY)
    e = result.estimate
    assert e.method.startswith("Callaway–Sant'Anna (simple")
    weeks = list(T.ADOPTION_WEEK.values())
    sizes = {g: weeks.count(g) for g in set(weeks) - {None}}
    num = sum(n * T.att(g, t) for g, n in sizes.items() for t in range(g, T.WEEKS))
    den = sum(n * (T.WEEKS - g) for g, n in sizes.items())
    assert e.ci_low < num / den < e.ci_high
    # 88 sites in 32 regions, clustered by region; cohorts of several sites each
    assert e.clusters == len(T.TRIAGE_REGIONS) >= 30 and min(sizes.values()) > 1
    kinds = {w.kind for w in e.warnings}
    assert not kinds & {"few_clusters", "single_unit_cohort", "few_treated", "readiness"}
    assert "by region" in e.method
    assert set(result.event_time.event_time) >= {-1, 0, 8}
    options = rollout_options(demo_store, T.ROLLOUT_STUDY, estimator="twfe")  # by region
    twfe = rollout_readout(demo_store, T.ROLLOUT_STUDY, options).estimate
    # enough clusters for the cluster-robust t: no bootstrap is needed
    assert "wild cluster bootstrap" not in twfe.method and twfe.clusters == e.clusters
    assert any("Adoption dates differ" in w.message for w in twfe.warnings)


def _study(store):
    store.catalog.save_metric(
        MetricDefinitionBase(
            name="minutes",
            dataset="tickets",
            column="minutes",
            aggregation="mean",
            unit="minutes",
        )
    )
    store.catalog.save_study(
        StudyBase(name="s", kind="did", unit="region", primary_metric="minutes", period="week")
    )


def test_cli_on_a_stored_study_prints_json_with_the_tables(store, tmp_path):
    rng = np.random.default_rng(14)
    adoption = {f"u{i:02d}": s for i, s in enumerate((3, 3, 6, 6, None, None) * 6)}
    rollouts, outcomes = make_rollout(rng, adoption)
    load(store, tmp_path, rollouts, outcomes)
    _study(store)
    result = runner.invoke(app, ["did", "s", "--estimator", "cs", "--control", "never", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"effect", "se", "ci_low", "ci_high", "p_value", "n", "method", "warnings"} <= set(out)
    assert out["n"]["units"] == 36 and out["ci_low"] < out["effect"] < out["ci_high"] < 0
    assert {r["event_time"] for r in out["event_time"]} >= {-2, 0, 6}
    assert len(out["group_time"]) == 2 * 9  # two cohorts × periods 1..9
    text = runner.invoke(app, ["did", "s", "--estimator", "event", "--leads", "3", "--lags", "2"])
    assert text.exit_code == 0 and "By periods since adoption" in text.stdout
    cs_text = runner.invoke(app, ["did", "s", "--estimator", "cs"]).stdout
    assert "ATT(g, t):" in cs_text and "n_control" in cs_text
    event = json.loads(runner.invoke(app, ["did", "s", "--estimator", "event", "--json"]).stdout)
    assert [r["event_time"] for r in event["event_time"]] == [-4, -3, -2, -1, 0, 1, 2, 3, 4]
    bad = runner.invoke(app, ["did", "s", "--estimator", "ols"])
    assert bad.exit_code == 1 and "estimator must be one of" in bad.output


def test_alpha_sets_every_interval_of_the_readout(store, tmp_path):
    """The options' alpha reaches the ATT(g, t) and event-time tables, not only the estimate."""
    rng = np.random.default_rng(14)
    adoption = {f"u{i:02d}": s for i, s in enumerate((3, 3, 6, 6, None, None) * 6)}
    load(store, tmp_path, *make_rollout(rng, adoption))
    _study(store)
    cs = rollout_readout(store, "s", RolloutOptions(estimator="cs", alpha=0.10))
    z = sps.norm.ppf(0.95)  # clustered by unit: normal, as `did`
    for table in (cs.group_time, cs.event_time):
        np.testing.assert_allclose(table.ci_low, table.att - z * table.se, rtol=1e-12)
        np.testing.assert_allclose(table.ci_high, table.att + z * table.se, rtol=1e-12)
    e = cs.estimate
    assert e.alpha == 0.10 and e.ci_high == pytest.approx(e.effect + z * e.se, rel=1e-12)
    event = rollout_readout(store, "s", RolloutOptions(estimator="event", alpha=0.10))
    t = sps.t(event.estimate.df).ppf(0.95)
    table = event.event_time
    np.testing.assert_allclose(table.ci_high, table.coef + t * table.se, rtol=1e-12)
    wide = rollout_readout(store, "s", RolloutOptions(estimator="event")).event_time
    assert (table.ci_high - table.ci_low <= wide.ci_high - wide.ci_low).all()


def test_cli_on_a_rows_file_equals_ols_with_dummies(tmp_path):
    rng = np.random.default_rng(15)
    rows = []
    for i in range(40):
        start = (4, 6, None, 8)[i % 4]
        level = rng.normal(10, 3)
        for t in range(1, 11):
            treated = start is not None and t >= start
            rows.append(
                (f"r{i}", t, level + 0.2 * t - 1.5 * treated + rng.normal(), start, treated)
            )
    frame = pd.DataFrame(rows, columns=["store", "week", "sales", "launch", "on"])
    frame.drop(index=[5, 77]).to_csv(tmp_path / "rows.csv", index=False)  # unbalanced
    cells = frame.drop(index=[5, 77]).assign(d=lambda f: f.on.astype(float))
    fit = smf.ols("sales ~ d + C(store) + C(week)", cells).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(cells.store)[0]}
    )
    base = ["did", "--rows", str(tmp_path / "rows.csv"), "--unit", "store", "--time", "week"]
    base += ["--outcome", "sales", "--estimator", "twfe", "--json"]
    for how in (["--treated-at", "launch"], ["--treat", "on"]):
        result = runner.invoke(app, base + how)
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert out["effect"] == pytest.approx(fit.params["d"], abs=1e-8)
        assert out["n"] == {
            "observations": len(cells),
            "units": 40,
            "clusters": 40,
            "treated_units": 30,
        }
        assert any("Unbalanced panel" in w for w in out["warnings"])
    missing = runner.invoke(app, base[:7] + ["--treat", "on", "--outcome", "nope"])
    assert missing.exit_code == 1 and "Unknown column 'nope'" in missing.output


def test_warnings_for_adoption_outside_the_data_and_no_never_treated(store, tmp_path):
    rng = np.random.default_rng(16)
    starts = (-2, 12, 3, 3, 5, 5, 7, 7)
    rollouts, outcomes = make_rollout(rng, {f"u{i}": s for i, s in enumerate(starts)})
    load(store, tmp_path, rollouts, outcomes)
    _study(store)
    warnings = [w.message for w in rollout_readout(store, "s").estimate.warnings]
    assert any("1 unit(s) adopted before the first period" in w for w in warnings)
    assert any("1 unit(s) adopt after the last period" in w for w in warnings)
    assert any("treated from the first period on" in w for w in warnings)
    assert not any("No never-treated" in w for w in warnings)  # u1 is never treated in the data


def test_no_never_treated_units_is_said(tmp_path):
    rows = [
        (f"r{i}", t, float(i + t - (t >= s) * 2 + (i * t) % 3), s)
        for i, s in enumerate((3, 3, 5, 5, 7, 7))
        for t in range(1, 9)
    ]
    path = tmp_path / "rows.csv"
    pd.DataFrame(rows, columns=["unit", "t", "y", "start"]).to_csv(path, index=False)
    result = runner.invoke(
        app,
        ["did", "--rows", str(path), "--unit", "unit", "--time", "t", "--outcome", "y"]
        + ["--treated-at", "start", "--json"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["method"].startswith("Callaway–Sant'Anna")
    assert any("No never-treated units" in w for w in out["warnings"])
    assert not any("treated group is too small" in w for w in out["warnings"])  # 6 ≥ 5


@pytest.mark.parametrize(("units", "bootstrap"), [(60, True), (240, False)])
def test_few_treated_units_get_the_wild_bootstrap_and_say_why(store, tmp_path, units, bootstrap):
    rng = np.random.default_rng(15)
    adoption = {f"u{i:03d}": (5 if i < 3 else None) for i in range(units)}
    rollouts, outcomes = make_rollout(rng, adoption)
    load(store, tmp_path, rollouts, outcomes)
    _study(store)
    e = rollout_readout(store, "s", RolloutOptions(estimator="twfe")).estimate
    assert e.n["clusters"] == units and e.n["treated_units"] == 3
    assert ("wild cluster bootstrap" in e.method) == bootstrap
    messages = [w.message for w in e.warnings]
    note = next(w for w in messages if w.startswith("Only 3 treated cluster(s) (units)"))
    assert ("bootstrap's" in note) == bootstrap and ("caution" in note) != bootstrap
    if bootstrap:  # the bootstrap interval replaces the cluster-robust one
        assert (e.ci_low, e.ci_high) != e.details["analytic_ci"]
