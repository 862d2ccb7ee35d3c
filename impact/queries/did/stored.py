"""A stored rollout study's panel, built from the warehouse's outcomes and rollouts.

The panel: one cell per unit and period (day, week or month) holding the metric's sum or
mean over the outcome rows in it, and the treatment indicator D = 1 from the period that
contains the unit's adoption date on (never-treated units: D = 0 throughout). Its units:
the adoption period and the cluster, the unit itself or a unit segment (e.g. region).
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.errors import InvalidInput
from impact.vocabulary import Period, check_choice
from impact.warehouse import Transaction, Warehouse

AGGREGATES = {"sum": "sum", "mean": "avg"}


@dataclass(frozen=True)
class PanelSource:
    study: str
    dataset: str
    metric: str  # the outcome column
    period: Period = "week"
    aggregation: str = "mean"
    cluster: str | None = None  # a unit segment (e.g. region); None clusters by unit


def _panel_sql(source: PanelSource) -> str:
    check_choice("period", source.period, Period)
    check_choice("aggregation", source.aggregation, tuple(AGGREGATES))
    agg = AGGREGATES[source.aggregation]
    return f"""
        WITH units AS (SELECT unit_id, treated_at FROM rollouts WHERE study = $study),
        cells AS (
            SELECT o.unit_id, date_trunc($period, o.observed_at) AS period,
                   {agg}(o.value) AS y, count(*) AS cell_rows
            FROM outcomes o JOIN units u ON u.unit_id = o.unit_id
            WHERE o.metric = $metric
              AND o.dataset_id IN (SELECT dataset_id FROM loads WHERE name = $dataset)
            GROUP BY o.unit_id, date_trunc($period, o.observed_at)
        )
        SELECT c.unit_id, c.period, c.y, c.cell_rows,
               CASE WHEN u.treated_at IS NOT NULL
                         AND c.period >= date_trunc($period, u.treated_at)
                    THEN 1.0 ELSE 0.0 END AS d
        FROM cells c JOIN units u ON u.unit_id = c.unit_id"""


def _units_sql(source: PanelSource) -> str:
    """One row per unit of `panel`; a unit with two values of the cluster segment gets two
    rows, which the panel's cluster check reports instead of silently picking one."""
    if source.cluster is None:
        cluster, join = "r.unit_id", ""
    else:
        cluster = "k.value"
        join = """LEFT JOIN (SELECT DISTINCT unit_id, value FROM unit_segments
                             WHERE segment = $cluster) k ON k.unit_id = r.unit_id"""
    return f"""SELECT r.unit_id, date_trunc($period, r.treated_at) AS adopted,
                      {cluster} AS cluster
               FROM rollouts r {join}
               WHERE r.study = $study AND r.unit_id IN (SELECT unit_id FROM panel)"""


def create_tables(s: Transaction, source: PanelSource) -> None:
    """Temp tables `panel` (unit_id, period, y, d …) and `panel_units` (unit_id, adopted,
    cluster) of the study; a cluster segment must exist among its units."""
    params = {"study": source.study, "period": source.period}
    panel = {**params, "dataset": source.dataset, "metric": source.metric}
    s.execute(f"CREATE TEMP TABLE panel AS {_panel_sql(source)}", panel)
    if source.cluster is not None:
        params["cluster"] = source.cluster
    s.execute(f"CREATE TEMP TABLE panel_units AS {_units_sql(source)}", params)
    if source.cluster is not None:
        _check_segment(s, source)


def _check_segment(s: Transaction, source: PanelSource) -> None:
    """The cluster names a segment the study's units have at all."""
    segments = [
        r[0]
        for r in s.execute("""SELECT DISTINCT segment FROM unit_segments
        WHERE unit_id IN (SELECT unit_id FROM panel_units) ORDER BY 1""").rows
    ]
    if source.cluster not in segments:
        known = ", ".join(repr(x) for x in segments) or "none"
        raise InvalidInput(
            f"No unit of study {source.study!r} has a segment {source.cluster!r} (its units' "
            f"segments: {known}); name one of those, or cluster by unit."
        )


def adoption_outside(s: Transaction, source: PanelSource) -> dict[str, int]:
    """Units of the study adopting before the first or after the last period of `panel`."""
    row = s.execute(
        """WITH span AS (SELECT min(period) AS lo, max(period) AS hi FROM panel)
        SELECT count(*) FILTER (WHERE date_trunc($period, treated_at) < lo),
               count(*) FILTER (WHERE date_trunc($period, treated_at) > hi)
        FROM rollouts, span WHERE study = $study""",
        {"study": source.study, "period": source.period},
    ).rows[0]
    return {"before": int(row[0] or 0), "after": int(row[1] or 0)}


def cluster_segments(warehouse: Warehouse, study: str) -> list[str]:
    """Unit segments that can cluster the study's standard errors: every unit has exactly
    one value, and they group units (at least 2 clusters, fewer clusters than units)."""
    rows = warehouse.execute(
        """WITH units AS (SELECT unit_id FROM rollouts WHERE study = $study),
        seg AS (SELECT DISTINCT s.segment, s.unit_id, s.value
                FROM unit_segments s JOIN units USING (unit_id))
        SELECT segment FROM seg GROUP BY segment
        HAVING count(*) = (SELECT count(*) FROM units) AND count(DISTINCT unit_id) = count(*)
           AND count(DISTINCT value) BETWEEN 2 AND count(*) - 1
        ORDER BY segment""",
        {"study": study},
    ).rows
    return [r[0] for r in rows]
