"""Small summaries of one stored dataset (all uploads of a name and kind) for readiness:
event days, rows and empty cells per period, when each segment value was seen, labels.

`period` is bound as a parameter of date_trunc ('day' or 'week')."""

from __future__ import annotations

import pandas as pd

from impact.contract import AFTER_LATEST_TIME, EARLIEST_TIME
from impact.warehouse import Warehouse

TIME_COLUMN = {
    "predictions": "predicted_at",
    "outcomes": "observed_at",
    "assignments": "assigned_at",
    "rollouts": "treated_at",
}
IDS = "SELECT dataset_id FROM loads WHERE name = $name AND kind = $kind"
# Prediction columns whose emptiness is watched (labels have their own rule: they come late).
PREDICTION_COLUMNS = ("prediction", "latency_ms", "served")
# Every unit a study knows, with repeats: a dataset's units are looked up in it (a semi
# join), rather than the many known units made distinct first, or NOT IN, which Spark plans
# as a broadcast of them all (that failed at 10M predictions with a 1 GB driver).
KNOWN_FACTS = (
    "SELECT unit_id FROM assignments UNION ALL SELECT unit_id FROM rollouts "
    "UNION ALL SELECT unit_id FROM predictions"
)


def _params(name: str, kind: str, **more) -> dict:
    return {"name": name, "kind": kind, **more}


# Only times in 1900–2100 count, as everywhere a stored time is read: a value stored before
# that rule held (a BC date) must not break the summary.
BOUNDS = {"earliest": EARLIEST_TIME, "after": AFTER_LATEST_TIME}


def _in_range(column: str) -> str:
    return f"{column} >= $earliest AND {column} < $after"


def event_days(warehouse: Warehouse, name: str, kind: str) -> pd.DataFrame:
    """Distinct UTC event days, and the latest event time (column `latest`, first row)."""
    t = TIME_COLUMN[kind]
    return warehouse.frame(
        f"""
        SELECT CAST(timezone('UTC', {t}) AS DATE) AS day, max({t}) AS latest
        FROM {kind} WHERE dataset_id IN ({IDS}) AND {_in_range(t)}
        GROUP BY 1 ORDER BY 1""",
        _params(name, kind, **BOUNDS),
    )


def rows_per_period(warehouse: Warehouse, name: str, kind: str, period: str) -> pd.DataFrame:
    """period, rows (outcomes: one row per unit and time, however many metrics)."""
    t = TIME_COLUMN[kind]
    source = kind
    if kind == "outcomes":
        source = f"(SELECT DISTINCT dataset_id, unit_id, {t} FROM outcomes)"
    return warehouse.frame(
        f"""
        SELECT CAST(date_trunc($period, timezone('UTC', {t})) AS DATE) AS period,
               count(*) AS rows
        FROM {source} AS f WHERE dataset_id IN ({IDS}) AND {_in_range(t)}
        GROUP BY 1 ORDER BY 1""",
        _params(name, kind, period=period, **BOUNDS),
    )


def column_profile(warehouse: Warehouse, name: str, kind: str, period: str) -> pd.DataFrame:
    """period, column, rows, filled: per metric (outcomes: a unit-time row
    without the metric is an empty cell) or per watched prediction column and feature."""
    p = _params(name, kind, period=period, **BOUNDS)
    if kind == "outcomes":
        # A metric's rows are the unit-time rows of the metrics recorded with it (itself
        # included): at least half the rows of the rarer of two metrics hold both
        # (impact.analysis.readiness_outcomes.together), so a file recording two metrics on
        # rows of their own has no empty cells, while one leaving a metric blank has. A
        # row stored twice fills its cells once.
        return warehouse.frame(
            f"""
            WITH o AS (SELECT DISTINCT unit_id, observed_at, metric,
                              CAST(date_trunc($period, timezone('UTC', observed_at)) AS DATE)
                              AS period
                       FROM outcomes WHERE dataset_id IN ({IDS})
                       AND {_in_range("observed_at")}),
                 held AS (SELECT metric, count(*) AS n FROM o GROUP BY 1),
                 shared AS (SELECT a.metric AS m, b.metric AS other, count(*) AS n
                            FROM o a JOIN o b USING (unit_id, observed_at) GROUP BY 1, 2),
                 pairs AS (SELECT s.m, s.other FROM shared s
                           JOIN held x ON x.metric = s.m JOIN held y ON y.metric = s.other
                           WHERE 2 * s.n >= least(x.n, y.n)),
                 rows AS (SELECT p.m AS "column", o.period,
                                 count(DISTINCT (o.unit_id, o.observed_at)) AS rows
                          FROM o JOIN pairs p ON p.other = o.metric GROUP BY 1, 2),
                 cells AS (SELECT period, metric AS "column", count(*) AS filled
                           FROM o GROUP BY 1, 2)
            SELECT r.period, r."column", r.rows, coalesce(c.filled, 0) AS filled
            FROM rows r LEFT JOIN cells c ON c.period = r.period AND c."column" = r."column"
            ORDER BY 2, 1""",
            p,
        )
    if kind != "predictions":
        return pd.DataFrame(columns=["period", "column", "rows", "filled"])
    watched = " UNION ALL ".join(
        f"""SELECT period, '{c}' AS "column", rows, {c} AS filled FROM per"""
        for c in PREDICTION_COLUMNS
    )
    counts = ", ".join(f"count({c}) AS {c}" for c in PREDICTION_COLUMNS)
    return warehouse.frame(
        f"""
        WITH p AS (SELECT dataset_id, prediction_id, {", ".join(PREDICTION_COLUMNS)},
                          CAST(date_trunc($period, timezone('UTC', predicted_at)) AS DATE)
                          AS period FROM predictions WHERE dataset_id IN ({IDS})
                          AND {_in_range("predicted_at")}),
             per AS (SELECT period, count(*) AS rows, {counts} FROM p GROUP BY 1),
             f AS (SELECT p.period, x.feature AS "column", count(*) AS filled
                   FROM prediction_features x JOIN p USING (dataset_id, prediction_id)
                   GROUP BY 1, 2),
             names AS (SELECT DISTINCT "column" FROM f)
        {watched}
        UNION ALL
        SELECT per.period, n."column", per.rows, coalesce(f.filled, 0)
        FROM per CROSS JOIN names n
        LEFT JOIN f ON f.period = per.period AND f."column" = n."column"
        ORDER BY 2, 1""",
        p,
    )


def segment_seen(warehouse: Warehouse, name: str, kind: str, period: str) -> pd.DataFrame:
    """column, value, first, last: the first and last period with a row holding the value.
    Outcome segments are stored per unit (its latest value), so a value counts as seen
    in the periods its units have outcome rows."""
    p = _params(name, kind, period=period, **BOUNDS)
    trunc = "CAST(date_trunc($period, timezone('UTC', {t})) AS DATE)"
    if kind == "outcomes":
        return warehouse.frame(
            f"""
            WITH ids AS ({IDS}),
                 o AS (SELECT DISTINCT unit_id, {trunc.format(t="observed_at")} AS period
                       FROM outcomes WHERE dataset_id IN (SELECT * FROM ids)
                       AND {_in_range("observed_at")})
            SELECT s.segment AS "column", s.value, min(o.period) AS first,
                   max(o.period) AS last
            FROM unit_segments s JOIN o USING (unit_id)
            WHERE s.dataset_id IN (SELECT * FROM ids) GROUP BY 1, 2 ORDER BY 1, 2""",
            p,
        )
    # Model versions replace one another by design, so only models and arms are watched.
    columns = {"predictions": ("model",), "assignments": ("arm",)}.get(kind)
    if not columns:
        return pd.DataFrame(columns=["column", "value", "first", "last"])
    t = TIME_COLUMN[kind]
    parts = " UNION ALL ".join(
        f"""SELECT '{c}' AS "column", CAST({c} AS VARCHAR) AS value,
                   min({trunc.format(t=t)}) AS first, max({trunc.format(t=t)}) AS last
            FROM {kind} WHERE dataset_id IN ({IDS}) AND {_in_range(t)} GROUP BY 1, 2"""
        for c in columns
    )
    return warehouse.frame(f"{parts} ORDER BY 1, 2", p)


def labels(warehouse: Warehouse, name: str) -> dict:
    """predictions, labeled, and the median and 90th-percentile label delay in hours."""
    # One pass, and microseconds rather than an interval's epoch per row (4x faster).
    row = warehouse.execute(
        f"""
        SELECT count(*), count(actual),
               quantile_cont(hours, 0.5) FILTER (WHERE labeled),
               quantile_cont(hours, 0.9) FILTER (WHERE labeled)
        FROM (SELECT actual,
                     (epoch_us(labeled_at) - epoch_us(predicted_at)) / 3600000000.0 AS hours,
                     actual IS NOT NULL AND {_in_range("labeled_at")}
                     AND {_in_range("predicted_at")} AS labeled
              FROM predictions WHERE dataset_id IN ({IDS})) AS p""",
        _params(name, "predictions", **BOUNDS),
    ).rows[0]
    keys = ("predictions", "labeled", "delay_p50_hours", "delay_p90_hours")
    return dict(zip(keys, row, strict=True))


def unknown_units(warehouse: Warehouse, name: str) -> tuple[int, int]:
    """Outcome units of the dataset, and how many no assignment, rollout or prediction has."""
    row = warehouse.execute(
        f"""
        WITH u AS (SELECT DISTINCT unit_id FROM outcomes WHERE dataset_id IN ({IDS})),
             known AS (SELECT count(DISTINCT unit_id) AS n FROM ({KNOWN_FACTS}) AS f
                       WHERE unit_id IN (SELECT unit_id FROM u))
        SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM u) - (SELECT n FROM known)""",
        _params(name, "outcomes"),
    ).rows[0]
    return int(row[0]), int(row[1])


def datasets_of_study(warehouse: Warehouse, study: str, kind: str) -> list[tuple[str, str]]:
    """(name, kind) of the uploads holding a study's assignments (ab) or rollouts (did)."""
    table, column = ("assignments", "experiment") if kind == "ab" else ("rollouts", "study")
    rows = warehouse.execute(
        f"""SELECT DISTINCT l.name, l.kind FROM {table} f JOIN loads l USING (dataset_id)
            WHERE f.{column} = ? ORDER BY 1""",
        [study],
    ).rows
    return [(r[0], r[1]) for r in rows]


def study_end(warehouse: Warehouse, study: str, kind: str):
    """The last assignment of an experiment (ab) or adoption of a rollout study (did)."""
    table, column, t = (
        ("assignments", "experiment", "assigned_at")
        if kind == "ab"
        else ("rollouts", "study", "treated_at")
    )
    return warehouse.scalar(f"SELECT max({t}) FROM {table} WHERE {column} = ?", [study])


def data_version(warehouse: Warehouse) -> str:
    count, last = warehouse.execute("SELECT count(*), max(loaded_at) FROM loads").rows[0]
    return f"{count}:{last}"
