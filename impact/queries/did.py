"""SQL that builds the unit × period panel of a rollout study and its within moments.

The panel: one cell per unit and period (day, week or month) holding the metric's sum or
mean over the outcome rows in it, and the treatment indicator D = 1 from the period that
contains the unit's adoption date on (never-treated units: D = 0 throughout).
The two-way within transformation runs in the warehouse: exact one-pass demeaning when
the panel is balanced, alternating projections (unit, then period, repeated until the
largest change is below `tolerance`) when it is not.
Functions named panel_* work on a temp table `panel` (unit_id, period, y, d) in an open
session, so a stored study and a file staged by impact.queries.did_file share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from impact.errors import NotEstimable
from impact.options import check_choice
from impact.stats.did import GroupCells, WithinMoments
from impact.stats.did_cs import NEVER, CohortMoments
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
    return with_panel(
        warehouse, source, lambda s: panel_within_moments(s, tolerance, max_iterations)
    )


def panel_within_moments(
    s: Transaction, tolerance: float = 1e-10, max_iterations: int = 10_000
) -> tuple[WithinMoments, dict]:
    """Within moments of temp table `panel` (unit_id, period, y, d)."""
    units, periods, cells = s.execute(
        "SELECT count(DISTINCT unit_id), count(DISTINCT period), count(*) FROM panel"
    ).rows[0]
    balanced = cells == units * periods
    if balanced:
        # Means by group joined back: the same values as window averages, a fraction of
        # the time and memory (no sort of the whole panel by unit).
        s.execute("""CREATE OR REPLACE TEMP TABLE within AS
            WITH u AS (SELECT unit_id, avg(y) AS uy, avg(d) AS ud FROM panel GROUP BY unit_id),
            t AS (SELECT period, avg(y) AS ty, avg(d) AS td FROM panel GROUP BY period),
            g AS (SELECT avg(y) AS gy, avg(d) AS gd FROM panel)
            SELECT p.unit_id, p.period, p.y - u.uy - t.ty + g.gy AS yy,
                   p.d - u.ud - t.td + g.gd AS dd
            FROM panel p JOIN u USING (unit_id) JOIN t USING (period), g""")
        iterations = 0
    else:
        iterations = _alternating_projections(s, tolerance, max_iterations)
    row = s.execute("""
        WITH per_unit AS (SELECT unit_id, sum(dd * yy) AS a, sum(dd * dd) AS b
                          FROM within GROUP BY unit_id)
        SELECT sum(a), sum(b), sum(a * a), sum(a * b), sum(b * b) FROM per_unit""").rows[0]
    treated = s.scalar("SELECT count(DISTINCT unit_id) FROM panel WHERE d > 0")
    moments = WithinMoments(
        *(float(v or 0.0) for v in row),
        observations=int(cells),
        clusters=int(units),
        periods=int(periods),
        treated_units=int(treated),
    )
    return moments, {"balanced": balanced, "iterations": iterations, "tolerance": tolerance}


def _alternating_projections(s: Transaction, tolerance: float, max_iterations: int) -> int:
    """Demean by unit, then by period, until no value moves by more than `tolerance`."""
    s.execute(
        "CREATE OR REPLACE TEMP TABLE within AS SELECT unit_id, period, y AS yy, d AS dd FROM panel"
    )
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


def with_panel(warehouse: Warehouse, source: PanelSource, compute):
    with warehouse.session() as s:
        s.execute(f"CREATE TEMP TABLE panel AS {_panel_sql(source)}", _params(source))
        if not s.scalar("SELECT count(*) FROM panel"):
            raise NotEstimable(
                f"No outcome rows for {source.metric!r} in dataset "
                f"{source.dataset!r} belong to units of study {source.study!r}."
            )
        return compute(s)


def cell_groups(warehouse: Warehouse, source: PanelSource) -> tuple[GroupCells, GroupCells]:
    return with_panel(warehouse, source, panel_cell_groups)


def cohort_moments(warehouse: Warehouse, source: PanelSource) -> CohortMoments:
    return with_panel(warehouse, source, panel_cohort_moments)


def panel_cell_groups(s: Transaction) -> tuple[GroupCells, GroupCells]:
    """2×2 sums on temp table `panel` (unit_id, period, y, d): treated = units ever
    treated, after = periods from the first adoption on."""
    rows = s.execute("""
        WITH first AS (SELECT min(period) AS f FROM panel WHERE d > 0),
        cells AS (SELECT p.unit_id, p.y, max(p.d) OVER (PARTITION BY p.unit_id) AS g,
                         CASE WHEN p.period >= first.f THEN 1 ELSE 0 END AS post
                  FROM panel p, first),
        resid AS (SELECT unit_id, g, post, y, y - avg(y) OVER (PARTITION BY g, post) AS e
                  FROM cells),
        units AS (SELECT unit_id, g,
                         coalesce(sum(e) FILTER (WHERE post = 0), 0) AS r0,
                         coalesce(sum(e) FILTER (WHERE post = 1), 0) AS r1,
                         count(*) FILTER (WHERE post = 0) AS m0,
                         count(*) FILTER (WHERE post = 1) AS m1,
                         coalesce(sum(y) FILTER (WHERE post = 0), 0) AS s0,
                         coalesce(sum(y) FILTER (WHERE post = 1), 0) AS s1
                  FROM resid GROUP BY unit_id, g)
        SELECT g, count(*), sum(m0), sum(m1), sum(s0), sum(s1),
               sum(r0 * r0), sum(r0 * r1), sum(r1 * r1)
        FROM units GROUP BY g""").rows
    groups = {
        r[0] > 0: GroupCells(int(r[1]), int(r[2]), int(r[3]), *(float(v) for v in r[4:]))
        for r in rows
    }
    if True not in groups or False not in groups:
        raise NotEstimable("A 2×2 needs both treated and never-treated units in the panel.")
    return groups[True], groups[False]


def panel_cohort_moments(s: Transaction) -> CohortMoments:
    """Per adoption cohort on temp table `panel`: units, mean outcome per period and the
    cross-products of deviations from those means (Callaway–Sant'Anna's sufficient
    statistics without covariates). Units missing a period are left out (balanced panel)."""
    periods = [r[0] for r in s.execute("SELECT DISTINCT period FROM panel ORDER BY 1").rows]
    s.execute("""CREATE TEMP TABLE cs_units AS SELECT unit_id, count(*) AS cells,
                 min(CASE WHEN d > 0 THEN period END) AS cohort FROM panel GROUP BY unit_id""")
    dropped = s.scalar("SELECT count(*) FROM cs_units WHERE cells < ?", [len(periods)])
    s.execute(
        """CREATE TEMP TABLE cs AS SELECT p.unit_id, u.cohort, p.period, p.y,
           p.y - avg(p.y) OVER (PARTITION BY u.cohort, p.period) AS e
           FROM panel p JOIN cs_units u USING (unit_id) WHERE u.cells = ?""",
        [len(periods)],
    )
    means = s.execute(
        "SELECT cohort, period, count(*), avg(y) FROM cs GROUP BY ALL ORDER BY 1 NULLS FIRST"
    ).rows
    cross = s.execute("""SELECT a.cohort, a.period, b.period, sum(a.e * b.e)
        FROM cs a JOIN cs b ON a.unit_id = b.unit_id AND a.period <= b.period
        GROUP BY ALL""").rows
    index = {p: i for i, p in enumerate(periods)}
    cohorts = sorted({NEVER if r[0] is None else index[r[0]] for r in means})
    c_of = {c: i for i, c in enumerate(cohorts)}
    size = (len(cohorts), len(periods))
    counts, mean = np.zeros(len(cohorts), dtype=np.int64), np.zeros(size)
    centred = np.zeros((*size, len(periods)))
    for cohort, period, n, y in means:
        c = c_of[NEVER if cohort is None else index[cohort]]
        counts[c], mean[c, index[period]] = n, y
    for cohort, p1, p2, v in cross:
        c = c_of[NEVER if cohort is None else index[cohort]]
        centred[c, index[p1], index[p2]] = centred[c, index[p2], index[p1]] = v
    return CohortMoments(
        periods=tuple(periods),
        cohorts=np.array(cohorts),
        counts=counts,
        means=mean,
        cross=centred,
        unbalanced_units=int(dropped),
    )


def within_unit_cross(warehouse: Warehouse, source: PanelSource, max_units: int = 2000):
    """TWFE moments plus C_y[g, h] = Σ_t D̈_gt ÿ_ht and C_d[g, h] = Σ_t D̈_gt D̈_ht over
    units (for the wild bootstrap, worth it only with few units: G² values come back)."""

    def run(s: Transaction):
        moments, info = panel_within_moments(s)
        if not info["balanced"]:
            raise NotEstimable("The wild cluster bootstrap here needs a balanced panel.")
        if moments.clusters > max_units:
            raise NotEstimable(
                f"{moments.clusters} units: the wild bootstrap is for few clusters "
                f"(at most {max_units}); the cluster-robust interval is reliable here."
            )
        return moments, info, *panel_unit_cross(s)

    return with_panel(warehouse, source, run)


def panel_unit_cross(s: Transaction) -> tuple[np.ndarray, np.ndarray]:
    units = [r[0] for r in s.execute("SELECT DISTINCT unit_id FROM within ORDER BY 1").rows]
    index = {u: i for i, u in enumerate(units)}
    cy, cd = np.zeros((len(units), len(units))), np.zeros((len(units), len(units)))
    rows = s.execute("""SELECT a.unit_id, b.unit_id, sum(a.dd * b.yy), sum(a.dd * b.dd)
        FROM within a JOIN within b USING (period) GROUP BY ALL""").rows
    for g, h, y, d in rows:
        cy[index[g], index[h]], cd[index[g], index[h]] = y, d
    return cy, cd


def adoption_outside(warehouse: Warehouse, source: PanelSource) -> dict[str, int]:
    """Units of the study adopting before the first or after the last period with data."""
    row = warehouse.execute(
        f"""WITH p AS ({_panel_sql(source)}), span AS (SELECT min(period) AS lo,
            max(period) AS hi FROM p)
        SELECT count(*) FILTER (WHERE date_trunc($period, treated_at) < lo),
               count(*) FILTER (WHERE date_trunc($period, treated_at) > hi)
        FROM rollouts, span WHERE study = $study""",
        _params(source),
    ).rows[0]
    return {"before": int(row[0] or 0), "after": int(row[1] or 0)}


def create_panel(s: Transaction, source: PanelSource) -> None:
    s.execute(f"CREATE TEMP TABLE panel AS {_panel_sql(source)}", _params(source))


def panel_facts(s: Transaction) -> dict[str, int]:
    """Size and shape of temp table `panel`: what the estimators' warnings depend on."""
    row = s.execute("""
        WITH u AS (SELECT unit_id, min(CASE WHEN d > 0 THEN period END) AS g FROM panel
                   GROUP BY unit_id)
        SELECT (SELECT count(*) FROM u), (SELECT count(DISTINCT period) FROM panel),
               (SELECT count(*) FROM panel), count(g), count(*) - count(g), count(DISTINCT g)
        FROM u""").rows[0]
    keys = ("units", "periods", "cells", "treated_units", "never_treated", "cohorts")
    return dict(zip(keys, (int(v) for v in row), strict=True))
