"""SQL that reduces an experiment's facts to per-arm sufficient statistics.

Semantics (the data contract): a unit's outcome is aggregated over the analysis window
after its assignment, [assigned_at, assigned_at + window); the CUPED covariate is the same
aggregate over the window before it. Assigned units with no outcome rows count as 0 for
sum, proportion and ratio metrics, and are left out of mean metrics (they have no mean).
Capping (winsorisation) at percentiles of the unit values is applied here, in SQL. The
results come back typed (impact.stats.summary), never as frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from impact.stats.summary import ArmStats, PairedStats, SampleStats
from impact.vocabulary import MetricAggregation
from impact.warehouse import Warehouse


@dataclass(frozen=True)
class MetricSource:
    dataset: str
    column: str
    aggregation: MetricAggregation
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
    # x is the denominator's post-window sum; it is not capped.
    "ratio": ("coalesce(w.post_sum, 0)", "coalesce(w.post_den, 0)"),
}


def arm_stats(
    warehouse: Warehouse,
    experiment: str,
    metric: MetricSource,
    *,
    window_days: int,
    cap: tuple[float, float] | None = None,
    arms: Sequence[str] = (),
) -> ArmStats:
    """Per arm: the metric y with x, its pre-period value (CUPED covariate) or, for ratio
    metrics, the denominator. Arms in `arms` without units yet come back with n = 0, so
    the sample-ratio check and the edge-case messages see them."""
    rows = _summaries(warehouse, experiment, metric, window_days, cap, None, 0)
    found = {arm: stats for arm, _, stats in rows}
    return found | {arm: _EMPTY for arm in arms if arm not in found}


def segment_stats(
    warehouse: Warehouse,
    experiment: str,
    metric: MetricSource,
    *,
    window_days: int,
    segment: str,
    top_segments: int = 5,
    cap: tuple[float, float] | None = None,
) -> dict[str, ArmStats]:
    """The same per segment value: the `top_segments` largest, then "other" and "(none)"."""
    out: dict[str, ArmStats] = {}
    for arm, value, stats in _summaries(
        warehouse, experiment, metric, window_days, cap, segment, top_segments
    ):
        out.setdefault(value, {})[arm] = stats
    return out


_EMPTY = PairedStats(SampleStats(), SampleStats(), 0.0)


def _summaries(
    warehouse: Warehouse,
    experiment: str,
    metric: MetricSource,
    window_days: int,
    cap: tuple[float, float] | None,
    segment: str | None,
    top_segments: int,
) -> list[tuple[str, str, PairedStats]]:
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
        if metric.aggregation != "ratio":
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
            SELECT u.arm, {segment_col} AS segment, {y_expr} AS y, {x_expr} AS x
            FROM units u LEFT JOIN windowed w ON w.unit_id = u.unit_id {segment_join}
        ){bounds},
        final AS (
            SELECT arm, segment, {y_final} AS y, {x_final} AS x
            FROM unit_values{", bounds" if bounds else ""} WHERE y IS NOT NULL
        )
        SELECT arm, segment, count(*), sum(y), sum(y * y), sum(x), sum(x * x), sum(x * y)
        FROM final GROUP BY arm, segment ORDER BY arm, segment
    """
    rows = warehouse.execute(sql, params).rows
    return [(arm, value, paired(*sums)) for arm, value, *sums in rows]


def paired(n, y_sum, y_squares, x_sum, x_squares, cross) -> PairedStats:
    """PairedStats from the six sums every reduction returns (in this order)."""
    n = int(n)
    return PairedStats(
        SampleStats(n, float(y_sum or 0.0), float(y_squares or 0.0)),
        SampleStats(n, float(x_sum or 0.0), float(x_squares or 0.0)),
        float(cross or 0.0),
    )


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


def enrolment(warehouse: Warehouse, experiment: str) -> tuple[int, float]:
    """Units assigned, and days between the first and last assignment (at least 1)."""
    units, seconds = warehouse.execute(
        # date_diff counts whole seconds, as the readout always has (DuckDB's spelling).
        "SELECT count(*), date_diff('second', min(assigned_at), max(assigned_at)) "
        "FROM assignments WHERE experiment = ?",
        [experiment],
    ).rows[0]
    return int(units), max(float(seconds or 0) / 86400, 1.0)


def experiment_segments(warehouse: Warehouse, experiment: str) -> list[str]:
    """Segment columns (region, channel …) known for the experiment's units."""
    rows = warehouse.execute(
        "SELECT DISTINCT s.segment FROM unit_segments s JOIN assignments a "
        "ON a.unit_id = s.unit_id WHERE a.experiment = ? ORDER BY s.segment",
        [experiment],
    ).rows
    return [r[0] for r in rows]
