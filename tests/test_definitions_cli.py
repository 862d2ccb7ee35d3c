"""Definitions as code through the CLI only: ingest a new experiment, a rollout and a
classifier's predictions, define their metrics, studies and value matrix from a YAML file,
and read them out; the numbers equal an independent computation on the same rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from typer.testing import CliRunner

from impact.cli import app

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def ingest(path, kind: str, dataset: str | None = None) -> None:
    cli("ingest", str(path), "--kind", kind, *(["--dataset", dataset] if dataset else []))


def test_own_experiment_defined_by_file_reads_out_as_welch(store, tmp_path):
    rng = np.random.default_rng(12)
    n = 300
    units = [f"c{i}" for i in range(2 * n)]
    arms = ["control"] * n + ["offer"] * n
    revenue = np.r_[rng.normal(50, 12, n), rng.normal(53, 15, n)].round(2)
    pd.DataFrame(
        {"experiment": "spring-offer", "unit_id": units, "arm": arms,
         "assigned_at": "2026-03-01T00:00:00Z"}
    ).to_csv(tmp_path / "assign.csv", index=False)  # fmt: skip
    pd.DataFrame(
        {"unit_id": units, "observed_at": "2026-03-10T00:00:00Z", "revenue": revenue}
    ).to_csv(tmp_path / "revenue.csv", index=False)
    ingest(tmp_path / "assign.csv", "assignments")
    ingest(tmp_path / "revenue.csv", "outcomes", "spring-revenue")
    (tmp_path / "defs.yaml").write_text(
        """
metrics:
  revenue_14d:
    dataset: spring-revenue
    column: revenue
    aggregation: mean
    kind: revenue
studies:
  spring-offer:
    kind: ab
    arms: [control, offer]
    control_arm: control
    planned_split: {control: 0.5, offer: 0.5}
    window_days: 14
    primary_metric: revenue_14d
    cuped: false
"""
    )
    dry = cli("define", str(tmp_path / "defs.yaml"), "--dry-run")
    assert "metrics.revenue_14d: would be created" in dry
    assert "studies.spring-offer: would be changed" in dry  # declared by the upload
    assert "arms: ['control', 'offer']" not in dry  # the arms did not change
    cli("define", str(tmp_path / "defs.yaml"))
    [row] = json.loads(cli("ab", "spring-offer", "--json"))
    welch = stats.ttest_ind(revenue[n:], revenue[:n], equal_var=False)
    effect = revenue[n:].mean() - revenue[:n].mean()
    se = np.sqrt(revenue[n:].var(ddof=1) / n + revenue[:n].var(ddof=1) / n)
    assert row["effect"] == pytest.approx(effect, rel=1e-10)
    assert row["se"] == pytest.approx(se, rel=1e-10)
    assert row["p_value"] == pytest.approx(welch.pvalue, rel=1e-3)
    assert (row["metric_version"], row["study_version"]) == (1, 2)
    assert "Welch" in row["method"]


def test_own_rollout_defined_by_file_reads_out_as_twfe_ols(store, tmp_path):
    rng = np.random.default_rng(5)
    units, weeks = [f"r{i}" for i in range(24)], pd.date_range("2026-01-05", periods=10, freq="7D")
    treated = {u: (weeks[5] if i % 2 else None) for i, u in enumerate(units)}
    rows = []
    for i, u in enumerate(units):
        for t, week in enumerate(weeks):
            d = int(treated[u] is not None and week >= treated[u])
            rows.append((u, week, d, 30 + i * 0.5 + t * 0.3 - 4 * d + rng.normal(0, 2)))
    panel = pd.DataFrame(rows, columns=["unit_id", "week", "d", "minutes"])
    pd.DataFrame(
        {"study": "triage-north", "unit_id": units,
         "treated_at": [t.strftime("%Y-%m-%dT00:00:00Z") if t is not None else "" for t in
                        treated.values()]}
    ).to_csv(tmp_path / "rollouts.csv", index=False)  # fmt: skip
    out = panel.assign(observed_at=panel.week.dt.strftime("%Y-%m-%dT12:00:00Z"))
    out[["unit_id", "observed_at", "minutes"]].to_csv(tmp_path / "minutes.csv", index=False)
    ingest(tmp_path / "rollouts.csv", "rollouts")
    ingest(tmp_path / "minutes.csv", "outcomes", "north-tickets")
    (tmp_path / "defs.yaml").write_text(
        """
metrics:
  minutes:
    dataset: north-tickets
    column: minutes
    aggregation: mean
    direction: lower
    kind: time
    unit: minutes
studies:
  triage-north:
    kind: rollout
    unit: region
    metric: minutes
    cluster: unit
    control_group: never
    estimator: twfe
"""
    )
    cli("define", str(tmp_path / "defs.yaml"))
    result = json.loads(cli("did", "triage-north", "--json"))
    fit = smf.ols("minutes ~ d + C(unit_id) + C(week)", data=panel).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(panel.unit_id)[0]}
    )
    n, g, t = len(panel), len(units), len(weeks)
    assert result["effect"] == pytest.approx(fit.params["d"], abs=1e-8)
    fixest = fit.bse["d"] * np.sqrt((n - g - t) / (n - t - 1))  # fixest's K, Impact's default
    assert result["se"] == pytest.approx(fixest, rel=1e-8)
    assert (result["study_version"], result["metric_version"]) == (2, 1)


def test_value_matrix_from_the_file_values_the_classifier(store, tmp_path):
    rng = np.random.default_rng(8)
    n = 400
    actual = rng.random(n) < 0.3
    score = np.clip(actual * 0.35 + rng.random(n) * 0.65, 0, 1).round(4)
    pd.DataFrame(
        {"prediction_id": [f"p{i}" for i in range(n)], "model": "fraud-lite",
         "model_version": "v1", "unit_id": [f"t{i}" for i in range(n)],
         "predicted_at": "2026-05-04T10:00:00Z", "score": score, "actual": actual.astype(int)}
    ).to_csv(tmp_path / "predictions.csv", index=False)  # fmt: skip
    ingest(tmp_path / "predictions.csv", "predictions")
    (tmp_path / "defs.yaml").write_text(
        """
assumptions:
  currency: EUR
  models:
    fraud-lite:
      value_matrix: {tp: 120, fp: -7.5, fn: -40, tn: 0, unit: EUR/decision}
      yearly_volume: {value: 500000, range: [400000, 600000]}
"""
    )
    cli("define", str(tmp_path / "defs.yaml"))
    out = json.loads(cli("health", "fraud-lite", "--json"))
    decided = score >= 0.5
    cm = np.array(
        [[np.sum(decided & actual), np.sum(decided & ~actual)],
         [np.sum(~decided & actual), np.sum(~decided & ~actual)]]
    )  # fmt: skip
    values = np.array([[120, -7.5], [-40, 0]])
    total = sum(r["value"] for r in out["decision_value"])
    assert total == pytest.approx(float((values * cm).sum()), rel=1e-12)
    exported = cli("export-definitions")
    assert "se: 51021" in exported  # the range, kept as its standard error
