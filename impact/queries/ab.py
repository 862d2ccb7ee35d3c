"""SQL that reduces an experiment's facts to per-arm sufficient statistics.

Semantics (the data contract): a unit's outcome is aggregated over the analysis window
after its assignment, [assigned_at, assigned_at + window); the CUPED covariate is the same
aggregate over the window before it. Assigned units with no outcome rows count as 0 for
sum, proportion and ratio metrics, and are left out of mean metrics (they have no mean).
Capping (winsorisation) at percentiles of the unit values is applied here, in SQL.
Only standard SQL constructs are used (CTEs, CASE, percentile_cont … WITHIN GROUP).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from impact.warehouse import Warehouse


@dataclass(frozen=True)
class MetricSource:
    dataset: str
    column: str
    aggregation: str  # sum | mean | proportion | ratio
    denominator: str | None = None


_UNIT_VALUES = {
    "sum": ("coalesce(w.post_sum, 0)", "coalesce(w.pre_sum, 0)"),
    "proportion": (
        "CASE WHEN coalesce(w.post_max, 0) > 0 THEN 1.0 ELSE 0.0 END",
        "CASE WHEN coalesce(w.pre_max, 0) > 0 THEN 1.0 ELSE 0.0 END",
    ),
    "mean": (
        "w.post_sum / nullif(w.post_rows, 0)",
        "coalesce(w.pre_sum / nullif(w.pre_rows, 0), 0)",
    ),
    "ratio": ("coalesce(w.post_sum, 0)", "coalesce(w.pre_sum, 0)"),
}


def arm_summaries(
    warehouse: Warehouse,
    experiment: str,
    metric: MetricSource,
    *,
    window_days: int,
    cap: tuple[float, float] | None = None,
    segment: str | None = None,
    top_segments: int = 5,
) -> pd.DataFrame:
    """Per arm (and segment value): n, Σy, Σy², Σx, Σx², Σxy, Σd, Σd², Σyd.

    x is the pre-period covariate, d the ratio denominator (zero columns when unused).
    """
    y_expr, x_expr = _UNIT_VALUES[metric.aggregation]
    denominator = metric.denominator if metric.aggregation == "ratio" else None
    params: dict = {
        "experiment": experiment,
        "dataset": metric.dataset,
        "numerator": metric.column,
        "denominator": denominator or metric.column,
        "window": int(window_days),
    }
    segment_join, segment_col = "", "'all'"
    if segment:
        params.update(segment=segment, top=int(top_segments))
        segment_join = _SEGMENT_JOIN
        segment_col = (
            "CASE WHEN s.rank IS NULL THEN '(none)' "
            "WHEN s.rank <= $top THEN s.value ELSE 'other' END"
        )
    d_expr = "coalesce(w.post_den, 0)" if denominator else "0.0"
    y_final, x_final = "y", "x"
    bounds = ""
    if cap is not None:
        params.update(lower=float(cap[0]), upper=float(cap[1]))
        bounds = (
            ", bounds AS (SELECT "
            "percentile_cont($lower) WITHIN GROUP (ORDER BY y) AS y_lo, "
            "percentile_cont($upper) WITHIN GROUP (ORDER BY y) AS y_hi, "
            "percentile_cont($lower) WITHIN GROUP (ORDER BY x) AS x_lo, "
            "percentile_cont($upper) WITHIN GROUP (ORDER BY x) AS x_hi FROM unit_values)"
        )
        y_final = "least(greatest(y, y_lo), y_hi)"
        x_final = "least(greatest(x, x_lo), x_hi)"
    sql = f"""
        WITH units AS (
            SELECT unit_id, arm, assigned_at,
                   assigned_at - {_WINDOW} AS pre_start, assigned_at + {_WINDOW} AS post_end
            FROM assignments WHERE experiment = $experiment
        ),
        facts AS (
            SELECT unit_id, observed_at, metric, value FROM outcomes
            WHERE metric IN ($numerator, $denominator)
              AND dataset_id IN (SELECT dataset_id FROM loads WHERE name = $dataset)
        ),
        windowed AS (
            SELECT u.unit_id,
                sum(CASE WHEN {_POST} AND f.metric = $numerator THEN f.value END) AS post_sum,
                count(CASE WHEN {_POST} AND f.metric = $numerator THEN 1 END) AS post_rows,
                max(CASE WHEN {_POST} AND f.metric = $numerator THEN f.value END) AS post_max,
                sum(CASE WHEN {_POST} AND f.metric = $denominator THEN f.value END) AS post_den,
                sum(CASE WHEN {_PRE} AND f.metric = $numerator THEN f.value END) AS pre_sum,
                count(CASE WHEN {_PRE} AND f.metric = $numerator THEN 1 END) AS pre_rows,
                max(CASE WHEN {_PRE} AND f.metric = $numerator THEN f.value END) AS pre_max
            FROM units u JOIN facts f ON f.unit_id = u.unit_id
            GROUP BY u.unit_id
        ),
        unit_values AS (
            SELECT u.arm, {segment_col} AS segment, {y_expr} AS y, {x_expr} AS x,
                   {d_expr} AS d
            FROM units u LEFT JOIN windowed w ON w.unit_id = u.unit_id {segment_join}
        ){bounds},
        final AS (
            SELECT arm, segment, {y_final} AS y, {x_final} AS x, d
            FROM unit_values{", bounds" if bounds else ""} WHERE y IS NOT NULL
        )
        SELECT arm, segment, count(*) AS n,
               sum(y) AS sum, sum(y * y) AS sum_squares,
               sum(x) AS covariate_sum, sum(x * x) AS covariate_sum_squares,
               sum(x * y) AS covariate_cross,
               sum(d) AS denominator_sum, sum(d * d) AS denominator_sum_squares,
               sum(y * d) AS denominator_cross
        FROM final GROUP BY arm, segment ORDER BY arm, segment
    """
    return warehouse.frame(sql, params)


# Window bounds are computed once per unit, not per outcome row, and as a fixed number of
# seconds: a day interval on TIMESTAMPTZ goes through calendar (ICU) arithmetic, which is
# several times slower and, in UTC (the warehouse's time zone), gives the same instants.
_WINDOW = "INTERVAL 1 SECOND * (86400 * $window)"
_POST = "f.observed_at >= u.assigned_at AND f.observed_at < u.post_end"
_PRE = "f.observed_at < u.assigned_at AND f.observed_at >= u.pre_start"
_SEGMENT_JOIN = """
    LEFT JOIN (
        SELECT unit_id, value, dense_rank() OVER (ORDER BY size DESC, value) AS rank
        FROM (
            SELECT unit_id, value, count(*) OVER (PARTITION BY value) AS size
            FROM (SELECT unit_id, max(value) AS value FROM unit_segments
                  WHERE segment = $segment GROUP BY unit_id) AS latest
        ) AS sized
    ) AS s ON s.unit_id = u.unit_id"""


def assignment_counts(warehouse: Warehouse, experiment: str) -> pd.DataFrame:
    """Units per arm with the first and last assignment time."""
    return warehouse.frame(
        "SELECT arm, count(*) AS n, min(assigned_at) AS first_assigned, "
        "max(assigned_at) AS last_assigned FROM assignments WHERE experiment = ? "
        "GROUP BY arm ORDER BY arm",
        [experiment],
    )


def enrolment_days(warehouse: Warehouse, experiment: str) -> float:
    """Days between the first and last assignment (at least 1)."""
    value = warehouse.scalar(
        "SELECT date_diff('second', min(assigned_at), max(assigned_at)) / 86400.0 "
        "FROM assignments WHERE experiment = ?",
        [experiment],
    )
    return max(float(value or 0), 1.0)


def summaries_from_file(
    path, arm: str, metric: str, covariate: str | None = None, denominator: str | None = None
) -> pd.DataFrame:
    """Per-arm sufficient statistics of a file of unit-level rows, computed by DuckDB."""
    from impact.errors import InvalidInput
    from impact.ingest.read import read_into
    from impact.sql import quote_identifier
    from impact.warehouse import Staging

    with Staging() as staging:
        read_into(staging, path)
        known = [c for c, _ in staging.columns("raw") if c != "_line"]

        def number(name: str | None) -> str:
            if name is None:
                return "0.0"
            q = quote_identifier(name, known)
            return f"CAST(replace(CAST({q} AS VARCHAR), ',', '') AS DOUBLE)"

        a = quote_identifier(arm, known)
        y, x, d = number(metric), number(covariate), number(denominator)
        try:
            return staging.frame(f"""
                WITH rows AS (SELECT CAST({a} AS VARCHAR) AS arm, {y} AS y, {x} AS x,
                                     {d} AS d FROM raw)
                SELECT arm, count(*) AS n, sum(y) AS sum, sum(y * y) AS sum_squares,
                       sum(x) AS covariate_sum, sum(x * x) AS covariate_sum_squares,
                       sum(x * y) AS covariate_cross, sum(d) AS denominator_sum,
                       sum(d * d) AS denominator_sum_squares, sum(y * d) AS denominator_cross
                FROM rows WHERE arm IS NOT NULL GROUP BY arm ORDER BY arm""")
        except Exception as exc:
            raise InvalidInput(
                f"{path}: the metric, covariate and denominator columns must "
                f"hold numbers ({str(exc).splitlines()[0]})."
            ) from exc


def experiment_segments(warehouse: Warehouse, experiment: str) -> list[str]:
    """Segment columns (region, channel …) known for the experiment's units."""
    rows = warehouse.execute(
        "SELECT DISTINCT s.segment FROM unit_segments s JOIN assignments a "
        "ON a.unit_id = s.unit_id WHERE a.experiment = ? ORDER BY s.segment",
        [experiment],
    ).rows
    return [r[0] for r in rows]
