"""SQL that builds the unit × period panel of a rollout study and its within moments.

The panel: one cell per unit and period (day, week or month) holding the metric's sum or
mean over the outcome rows in it, and the treatment indicator D = 1 from the period that
contains the unit's adoption date on (never-treated units: D = 0 throughout).
The two-way within transformation runs in the warehouse: exact one-pass demeaning when
the panel is balanced, alternating projections (unit, then period, repeated until the
largest change is below `tolerance`) when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.errors import NotEstimable
from impact.options import check_choice
from impact.stats.did import WithinMoments
from impact.warehouse import Transaction, Warehouse

PERIODS = ("day", "week", "month")
AGGREGATES = {"sum": "sum", "mean": "avg"}


@dataclass(frozen=True)
class PanelSource:
    study: str
    dataset: str
    metric: str  # the outcome column
    period: str = "week"
    aggregation: str = "mean"


def _panel_sql(source: PanelSource) -> str:
    check_choice("period", source.period, PERIODS)
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


def _params(source: PanelSource) -> dict:
    return {
        "study": source.study,
        "dataset": source.dataset,
        "metric": source.metric,
        "period": source.period,
    }


def panel(warehouse: Warehouse, source: PanelSource):
    """The unit × period panel as a DataFrame (for charts and small studies)."""
    return warehouse.frame(_panel_sql(source) + " ORDER BY unit_id, period", _params(source))


def within_moments(
    warehouse: Warehouse,
    source: PanelSource,
    *,
    tolerance: float = 1e-10,
    max_iterations: int = 10_000,
) -> tuple[WithinMoments, dict]:
    """Moments for TWFE with unit-clustered errors, plus facts about the panel."""
    with warehouse.session() as s:
        s.execute(f"CREATE TEMP TABLE panel AS {_panel_sql(source)}", _params(source))
        units, periods, cells = s.execute(
            "SELECT count(DISTINCT unit_id), count(DISTINCT period), count(*) FROM panel"
        ).rows[0]
        if cells == 0:
            raise NotEstimable(
                f"No outcome rows for {source.metric!r} in dataset "
                f"{source.dataset!r} belong to units of study {source.study!r}."
            )
        balanced = cells == units * periods
        if balanced:
            s.execute("""CREATE TEMP TABLE within AS SELECT unit_id,
                y - avg(y) OVER (PARTITION BY unit_id) - avg(y) OVER (PARTITION BY period)
                  + avg(y) OVER () AS yy,
                d - avg(d) OVER (PARTITION BY unit_id) - avg(d) OVER (PARTITION BY period)
                  + avg(d) OVER () AS dd
                FROM panel""")
            iterations = 0
        else:
            iterations = _alternating_projections(s, tolerance, max_iterations)
        row = s.execute("""
            WITH per_unit AS (SELECT unit_id, sum(dd * yy) AS a, sum(dd * dd) AS b
                              FROM within GROUP BY unit_id)
            SELECT sum(a), sum(b), sum(a * a), sum(a * b), sum(b * b) FROM per_unit""").rows[0]
        treated = s.scalar("SELECT count(DISTINCT unit_id) FROM panel WHERE d > 0")
    moments = WithinMoments(
        *(float(v) for v in row),
        observations=int(cells),
        clusters=int(units),
        periods=int(periods),
        treated_units=int(treated),
    )
    return moments, {"balanced": balanced, "iterations": iterations, "tolerance": tolerance}


def _alternating_projections(s: Transaction, tolerance: float, max_iterations: int) -> int:
    """Demean by unit, then by period, until no value moves by more than `tolerance`."""
    s.execute("CREATE TEMP TABLE within AS SELECT unit_id, period, y AS yy, d AS dd FROM panel")
    for iteration in range(1, max_iterations + 1):
        for key in ("unit_id", "period"):
            s.execute(f"""CREATE OR REPLACE TEMP TABLE within AS SELECT unit_id, period,
                yy - avg(yy) OVER (PARTITION BY {key}) AS yy,
                dd - avg(dd) OVER (PARTITION BY {key}) AS dd FROM within""")
        # After the period step, period means are 0; convergence = unit means are 0 too.
        moved = s.scalar("""SELECT max(greatest(abs(my), abs(md))) FROM (
            SELECT avg(yy) AS my, avg(dd) AS md FROM within GROUP BY unit_id)""")
        if moved < tolerance:
            return iteration
    raise NotEstimable(
        f"The unbalanced panel's fixed effects did not converge to "
        f"{tolerance:g} in {max_iterations} iterations."
    )
