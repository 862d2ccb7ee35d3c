"""The portfolio questions (impact.analysis.portfolio) against pandas on the raw facts.

Each test pulls the raw rows once and recomputes the answer with pandas, so the SQL in
impact.queries.portfolio is checked by an independent implementation on the demo data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.analysis import portfolio as pf
from impact.demo import truth as T


@pytest.fixture(scope="module")
def raw(demo_store) -> dict[str, pd.DataFrame]:
    wh = demo_store.warehouse
    return {
        table: wh.frame(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
        for table in ("predictions", "outcomes", "assignments", "rollouts", "loads")
    }


def week_start(values: pd.Series) -> pd.Series:
    """Monday 00:00 UTC of each timestamp's ISO week, as DuckDB's date_trunc('week')."""
    day = pd.to_datetime(values, utc=True).dt.normalize()
    return day - pd.to_timedelta(day.dt.day_of_week, unit="D")


def test_counts_match_the_raw_facts(demo_store, raw):
    summary = pf.portfolio(demo_store)
    units = pd.concat([raw[t]["unit_id"] for t in ("assignments", "rollouts", "predictions")])
    assert summary.counts == {
        "predictions": len(raw["predictions"]),
        "outcomes": len(raw["outcomes"]),
        "assignments": len(raw["assignments"]),
        "rollouts": len(raw["rollouts"]),
        "uploads": len(raw["loads"]),
        "units": units.nunique(),
        "models": 4,
        "studies": 3,
    }
    assert not summary.empty


def test_model_activity_matches_pandas(demo_store, raw):
    models = pf.portfolio(demo_store).models.set_index("model")
    p = raw["predictions"]
    for model, rows in p.groupby("model"):
        got = models.loc[model]
        assert got["predictions"] == len(rows)
        assert got["versions"] == rows["model_version"].nunique()
        assert got["latest_version"] == rows.loc[rows["predicted_at"].idxmax(), "model_version"]
        assert got["first_prediction"] == rows["predicted_at"].min()
        assert got["last_prediction"] == rows["predicted_at"].max()
        assert got["label_coverage"] == pytest.approx(rows["actual"].notna().mean(), abs=1e-12)
    assert set(models.index) == {T.CHURN_MODEL, T.TRIAGE_MODEL, T.FRAUD_MODEL, T.RECS_MODEL}
    assert models.loc[T.FRAUD_MODEL, "label_coverage"] < 1.0  # late labels


def test_weekly_predictions_match_pandas(demo_store, raw):
    got = pf.portfolio(demo_store).weekly_predictions
    p = raw["predictions"]
    expected = (
        p.assign(week=week_start(p["predicted_at"]))
        .groupby(["model", "week"])
        .size()
        .rename("predictions")
        .reset_index()
    )
    merged = got.merge(expected, on=["model", "week"], how="outer", suffixes=("", "_pd"))
    assert len(merged) == len(got) == len(expected)
    assert (merged["predictions"] == merged["predictions_pd"]).all()
    assert got["predictions"].sum() == len(p)


def test_dataset_table_lists_every_load(demo_store, raw):
    table = pf.dataset_table(demo_store)
    loads = raw["loads"].set_index("dataset_id")
    assert sorted(table["id"]) == sorted(loads.index)
    for row in table.itertuples():
        assert row.rows == loads.loc[row.id, "row_count"]
        assert row.kind == loads.loc[row.id, "kind"]
        assert row.dataset == loads.loc[row.id, "name"]
        assert loads.loc[row.id, "checksum"].startswith(row.checksum)
    assert table["uploaded_at"].is_monotonic_decreasing or len(table) <= 1


def test_outcome_columns_match_pandas(demo_store, raw):
    got = pf.outcome_columns(demo_store).set_index(["dataset", "metric"])
    names = raw["loads"].set_index("dataset_id")["name"]
    o = raw["outcomes"].assign(dataset=lambda f: f["dataset_id"].map(names))
    expected = o.groupby(["dataset", "metric"]).agg(
        rows=("value", "size"), units=("unit_id", "nunique"), first=("observed_at", "min")
    )
    assert sorted(got.index) == sorted(expected.index)
    for key, row in expected.iterrows():
        assert got.loc[key, "rows"] == row["rows"]
        assert got.loc[key, "units"] == row["units"]
        assert got.loc[key, "first_observed"] == row["first"]


def test_rollout_overview_matches_the_plan_and_pandas(demo_store, raw):
    study = demo_store.catalog.study(T.ROLLOUT_STUDY)
    overview = pf.rollout_overview(demo_store, T.ROLLOUT_STUDY)
    plan = T.ADOPTION_WEEK
    assert overview.treated == sum(w is not None for w in plan.values())
    assert overview.never_treated == sum(w is None for w in plan.values())
    assert overview.cohorts == len({w for w in plan.values() if w is not None})
    assert set(overview.units["unit_id"]) == set(plan)

    definition = demo_store.catalog.metric(study.primary_metric)
    assert overview.metric == definition.name
    loads = raw["loads"]
    ids = loads.loc[loads["name"] == definition.dataset, "dataset_id"]
    o = raw["outcomes"]
    o = o[(o["metric"] == definition.column) & o["dataset_id"].isin(ids)]
    r = raw["rollouts"][raw["rollouts"]["study"] == T.ROLLOUT_STUDY]
    joined = o.merge(r[["unit_id", "treated_at"]], on="unit_id")
    assert study.period == "week"
    period = week_start(joined["observed_at"])
    adopted = week_start(joined["treated_at"])
    status = np.where(
        joined["treated_at"].isna(),
        "never treated",
        np.where(period >= adopted, "treated", "not yet treated"),
    )
    expected = (
        joined.assign(period=period, status=status)
        .groupby(["period", "status"])
        .agg(mean=("value", "mean"), rows=("value", "size"), units=("unit_id", "nunique"))
        .reset_index()
    )
    got = overview.trends.merge(expected, on=["period", "status"], suffixes=("", "_pd"))
    assert len(got) == len(overview.trends) == len(expected)
    np.testing.assert_allclose(got["mean"], got["mean_pd"], rtol=1e-9)
    assert (got["rows"] == got["rows_pd"]).all() and (got["units"] == got["units_pd"]).all()
    assert set(expected["status"]) == {"treated", "not yet treated", "never treated"}


def test_model_overview_matches_numpy(demo_store, raw):
    overview = pf.model_overview(demo_store, T.FRAUD_MODEL)
    p = raw["predictions"][raw["predictions"]["model"] == T.FRAUD_MODEL]
    assert overview.predictions == len(p)
    ops = overview.operations.set_index("version")
    for version, rows in p.groupby("model_version"):
        got = ops.loc[version]
        assert got["predictions"] == len(rows)
        for q in (50, 95, 99):  # percentile_cont is numpy's linear interpolation
            expected = np.percentile(rows["latency_ms"].dropna(), q)
            assert got[f"latency_p{q}"] == pytest.approx(expected, rel=1e-9)
        assert got["fallback_share"] == pytest.approx((rows["served"] == False).mean())  # noqa: E712
        assert got["label_coverage"] == pytest.approx(rows["actual"].notna().mean())
        delay = (rows["labeled_at"] - rows["predicted_at"]).dt.total_seconds() / 86400
        assert got["label_delay_days"] == pytest.approx(delay.mean(), rel=1e-6)

    weekly = overview.weekly_scores.set_index("week")
    by_week = p.assign(week=week_start(p["predicted_at"])).groupby("week")["score"]
    assert sorted(weekly.index) == sorted(by_week.groups)
    for week, scores in by_week:
        assert weekly.loc[week, "predictions"] == len(scores)
        for q, column in ((25, "score_p25"), (50, "score_p50"), (75, "score_p75")):
            assert weekly.loc[week, column] == pytest.approx(np.percentile(scores, q), rel=1e-9)


def test_fraud_scores_drift_after_the_drift_date(demo_store):
    """The demo's drift must be visible in the weekly band the model-health chart draws."""
    weekly = pf.model_overview(demo_store, T.FRAUD_MODEL).weekly_scores
    drift = pd.Timestamp(T.DRIFT_DATE)
    before = weekly.loc[weekly["week"] < drift - pd.Timedelta(days=7), "score_p50"].mean()
    after = weekly.loc[weekly["week"] > drift + pd.Timedelta(days=7), "score_p50"].mean()
    assert after > 1.5 * before  # demo: median about 0.11 before, 0.26 after


def test_experiment_enrolment_matches_the_assignments(demo_store, raw):
    got = pf.experiment_enrolment(demo_store, T.EXPERIMENT)
    a = raw["assignments"][raw["assignments"]["experiment"] == T.EXPERIMENT]
    day = pd.to_datetime(a["assigned_at"], utc=True).dt.normalize()
    expected = a.assign(day=day).groupby(["day", "arm"]).size().rename("units").reset_index()
    merged = got.merge(expected, on=["day", "arm"], suffixes=("", "_pd"))
    assert len(merged) == len(got) == len(expected)
    assert (merged["units"] == merged["units_pd"]).all()
    assert got.groupby("arm")["units"].sum().to_dict() == a["arm"].value_counts().to_dict()


def test_metric_and_assumption_tables_cover_the_catalog(demo_store):
    metrics = pf.metric_table(demo_store)
    assert sorted(metrics["metric"]) == sorted(m.name for m in demo_store.catalog.metrics())
    assumptions = pf.assumption_table(demo_store)
    assert len(assumptions) == len(demo_store.catalog.assumptions())
    studies = {T.EXPERIMENT, T.RECS_EXPERIMENT, T.ROLLOUT_STUDY}
    assert set(pf.study_table(demo_store)["study"]) == studies


def test_an_empty_store_answers_with_empty_tables(store):
    summary = pf.portfolio(store)
    assert summary.empty
    assert summary.counts["predictions"] == summary.counts["units"] == 0
    assert summary.models.empty and summary.weekly_predictions.empty
    assert pf.dataset_table(store).empty and pf.outcome_columns(store).empty
    assert pf.metric_table(store).empty and pf.assumption_table(store).empty
