"""Counts and small tables for the overview, data, metrics and model-health pages.

The SQL is DuckDB's, close to the standard: `$name` parameters, date_trunc and GROUP BY by
position or alias are common to most engines though not standard; arg_max is DuckDB's only
(see model_activity).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from impact.contract import AFTER_LATEST_TIME, EARLIEST_TIME
from impact.queries import health
from impact.vocabulary import HealthPeriod, check_choice
from impact.warehouse import Warehouse


def fact_counts(warehouse: Warehouse) -> dict[str, int]:
    row = warehouse.execute("""
        SELECT (SELECT count(*) FROM predictions),
               (SELECT count(*) FROM outcomes),
               (SELECT count(*) FROM assignments),
               (SELECT count(*) FROM rollouts),
               (SELECT count(*) FROM loads),
               (SELECT count(*) FROM (SELECT unit_id FROM assignments UNION
                                      SELECT unit_id FROM rollouts UNION
                                      SELECT unit_id FROM predictions) AS u)""").rows[0]
    keys = ("predictions", "outcomes", "assignments", "rollouts", "uploads", "units")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def time_span(warehouse: Warehouse) -> tuple[Any, Any]:
    """First and last timestamp over every fact (None when the warehouse is empty).

    Only times in 1900–2100 count: a value stored before that rule held (a BC date, say)
    must not break the date range of every page."""
    parts = []
    for table, column in (
        ("predictions", "predicted_at"),
        ("outcomes", "observed_at"),
        ("assignments", "assigned_at"),
        ("rollouts", "treated_at"),
    ):
        sane = f"{column} >= ? AND {column} < ?"
        parts.append(f"SELECT min({column}) FILTER (WHERE {sane}) AS t FROM {table}")
        parts.append(f"SELECT max({column}) FILTER (WHERE {sane}) FROM {table}")
    bounds = [EARLIEST_TIME, AFTER_LATEST_TIME] * len(parts)
    sql = f"SELECT min(t), max(t) FROM ({' UNION ALL '.join(parts)}) AS bounds"
    row = warehouse.execute(sql, bounds).rows[0]
    return row[0], row[1]


def model_activity(warehouse: Warehouse) -> pd.DataFrame:
    """Per model: predictions, versions, first and last prediction, label coverage."""
    # arg_max is DuckDB's; the standard form (row_number() or a join on max) is a second pass.
    return warehouse.frame("""
        SELECT model, count(*) AS predictions,
               count(DISTINCT model_version) AS versions,
               arg_max(model_version, predicted_at) AS latest_version,
               min(predicted_at) AS first_prediction, max(predicted_at) AS last_prediction,
               avg(CASE WHEN actual IS NOT NULL THEN 1.0 ELSE 0.0 END) AS label_coverage
        FROM predictions GROUP BY model ORDER BY model""")


def weekly_predictions(warehouse: Warehouse) -> pd.DataFrame:
    return warehouse.frame("""
        SELECT model, date_trunc('week', predicted_at) AS week, count(*) AS predictions
        FROM predictions GROUP BY model, week ORDER BY week, model""")


def outcome_metrics(warehouse: Warehouse) -> pd.DataFrame:
    """Per dataset and metric column: rows, units, first and last observation."""
    return warehouse.frame("""
        SELECT l.name AS dataset, o.metric, count(*) AS rows,
               count(DISTINCT o.unit_id) AS units,
               min(o.observed_at) AS first_observed, max(o.observed_at) AS last_observed
        FROM outcomes o JOIN loads l ON l.dataset_id = o.dataset_id
        GROUP BY l.name, o.metric ORDER BY l.name, o.metric""")


def daily_assignments(warehouse: Warehouse, experiment: str) -> pd.DataFrame:
    return warehouse.frame(
        """
        SELECT date_trunc('day', assigned_at) AS day, arm, count(*) AS units
        FROM assignments WHERE experiment = ? GROUP BY day, arm ORDER BY day, arm""",
        [experiment],
    )


def rollout_units(warehouse: Warehouse, study: str) -> pd.DataFrame:
    return warehouse.frame(
        """
        SELECT unit_id, treated_at FROM rollouts WHERE study = ?
        ORDER BY treated_at NULLS LAST, unit_id""",
        [study],
    )


def rollout_trends(
    warehouse: Warehouse, study: str, dataset: str, metric: str, period: str = "week"
) -> pd.DataFrame:
    """Mean of the metric per period for units already treated, not yet treated, and never
    treated — the comparison a difference-in-differences rests on."""
    return warehouse.frame(
        """
        WITH units AS (SELECT unit_id, treated_at FROM rollouts WHERE study = $study)
        SELECT date_trunc($period, o.observed_at) AS period,
               CASE WHEN u.treated_at IS NULL THEN 'never treated'
                    WHEN date_trunc($period, o.observed_at)
                         >= date_trunc($period, u.treated_at) THEN 'treated'
                    ELSE 'not yet treated' END AS status,
               avg(o.value) AS mean, count(*) AS rows, count(DISTINCT o.unit_id) AS units
        FROM outcomes o JOIN units u ON u.unit_id = o.unit_id
        WHERE o.metric = $metric
          AND o.dataset_id IN (SELECT dataset_id FROM loads WHERE name = $dataset)
        GROUP BY 1, 2 ORDER BY 1, 2""",
        {"study": study, "dataset": dataset, "metric": metric, "period": period},
    )


def model_operations(warehouse: Warehouse, model: str) -> pd.DataFrame:
    """Per version: volume, latency percentiles, fallback share, label coverage and delay
    (health.operations over all time: one row per version)."""
    ops = health.operations(warehouse, model, "all")
    return ops.drop(columns=["period", "labeled"]).rename(columns={"n": "predictions"})


def weekly_scores(warehouse: Warehouse, model: str) -> pd.DataFrame:
    """Score quartiles per week: drift shows as a moving band."""
    return score_quartiles(warehouse, model, "week").rename(columns={"period": "week"})


def score_quartiles(warehouse: Warehouse, model: str, period: str = "week") -> pd.DataFrame:
    """Score quartiles per `period` (day or week, UTC)."""
    check_choice("period", period, HealthPeriod)
    return warehouse.frame(
        """
        SELECT date_trunc(?, predicted_at) AS period, count(*) AS predictions,
               percentile_cont(0.25) WITHIN GROUP (ORDER BY score) AS score_p25,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS score_p50,
               percentile_cont(0.75) WITHIN GROUP (ORDER BY score) AS score_p75,
               avg(score) AS score_mean
        FROM predictions WHERE model = ? GROUP BY period ORDER BY period""",
        [period, model],
    )


def data_version(warehouse: Warehouse) -> str:
    """Changes whenever an upload lands or is removed, from any process."""
    count, last = warehouse.execute("SELECT count(*), max(loaded_at) FROM loads").rows[0]
    return f"{count}:{last}"


def loads(warehouse: Warehouse) -> pd.DataFrame:
    """The loads fact table, newest first: what the warehouse holds per dataset (on Spark,
    one row per configured source, with no row count unless the table keeps one)."""
    return warehouse.frame("""
        SELECT dataset_id, name, kind, file_name, row_count, uploaded_by, loaded_at
        FROM loads ORDER BY loaded_at DESC, name""")
