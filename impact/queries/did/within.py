"""TWFE's two-way within transformation, the 2×2 cell sums and the wild bootstrap's
cluster cross-products, in the warehouse (see impact.queries.did.panel for the tables).

Exact one-pass demeaning when the panel is balanced, alternating projections (unit, then
period, repeated until the largest change is below `tolerance`) when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from impact.errors import NotEstimable
from impact.stats.did.twfe import ClusterScores, GroupCells, WithinMoments
from impact.warehouse import Transaction

# Per-unit sums (a relation with unit_id) added up per cluster of temp table panel_units.
BY_CLUSTER = (
    "SELECT k.cluster, {sums} FROM {per_unit} p JOIN panel_units k USING (unit_id) GROUP BY 1"
)


def within_moments(
    s: Transaction,
    cells: str,
    out: str,
    tolerance: float = 1e-10,
    max_iterations: int = 10_000,
) -> WithinMoments:
    """Within moments of table `cells` (unit_id, period, y, d), demeaned into table `out`
    (unit_id, period, yy, dd); scores summed by panel_units' clusters."""
    units, periods, count = s.execute(
        f"SELECT count(DISTINCT unit_id), count(DISTINCT period), count(*) FROM {cells}"
    ).rows[0]
    balanced = count == units * periods
    if balanced:
        # Means by group joined back: the same values as window averages, a fraction of
        # the time and memory (no sort of the whole panel by unit).
        s.execute(f"""CREATE OR REPLACE TEMP TABLE {out} AS
            WITH u AS (SELECT unit_id, avg(y) AS uy, avg(d) AS ud FROM {cells} GROUP BY unit_id),
            t AS (SELECT period, avg(y) AS ty, avg(d) AS td FROM {cells} GROUP BY period),
            g AS (SELECT avg(y) AS gy, avg(d) AS gd FROM {cells})
            SELECT p.unit_id, p.period, p.y - u.uy - t.ty + g.gy AS yy,
                   p.d - u.ud - t.td + g.gd AS dd
            FROM {cells} p JOIN u USING (unit_id) JOIN t USING (period), g""")
    else:
        _alternating_projections(s, cells, out, tolerance, max_iterations)
    per_unit = f"(SELECT unit_id, sum(dd * yy) AS a, sum(dd * dd) AS b FROM {out} GROUP BY 1)"
    sums = BY_CLUSTER.format(sums="sum(a) AS a, sum(b) AS b", per_unit=per_unit)
    row = s.execute(f"""WITH per_cluster AS ({sums})
        SELECT sum(a), sum(b), sum(a * a), sum(a * b), sum(b * b), count(*)
        FROM per_cluster""").rows[0]
    treated = s.scalar(f"SELECT count(DISTINCT unit_id) FROM {cells} WHERE d > 0")
    return WithinMoments(
        *(float(v or 0.0) for v in row[:5]),
        observations=int(count),
        clusters=int(row[5]),
        periods=int(periods),
        treated_units=int(treated),
        units=int(units),
        balanced=balanced,
    )


def _alternating_projections(
    s: Transaction, cells: str, out: str, tolerance: float, max_iterations: int
) -> None:
    """Demean by unit, then by period, until no value moves by more than `tolerance`."""
    s.execute(
        f"CREATE OR REPLACE TEMP TABLE {out} AS "
        f"SELECT unit_id, period, y AS yy, d AS dd FROM {cells}"
    )
    for _ in range(max_iterations):
        # Both steps in one statement: one table written per iteration, not two (on Spark
        # each is a job and a checkpoint).
        s.execute(f"""CREATE OR REPLACE TEMP TABLE {out} AS SELECT unit_id, period,
            yy - avg(yy) OVER (PARTITION BY period) AS yy,
            dd - avg(dd) OVER (PARTITION BY period) AS dd
            FROM (SELECT unit_id, period, yy - avg(yy) OVER (PARTITION BY unit_id) AS yy,
                         dd - avg(dd) OVER (PARTITION BY unit_id) AS dd FROM {out})""")
        # After the period step, period means are 0; convergence = unit means are 0 too.
        moved = s.scalar(f"""SELECT max(greatest(abs(my), abs(md))) FROM (
            SELECT avg(yy) AS my, avg(dd) AS md FROM {out} GROUP BY unit_id)""")
        if moved < tolerance:
            return
    raise NotEstimable(
        f"The unbalanced panel's fixed effects did not converge to "
        f"{tolerance:g} in {max_iterations} iterations."
    )


def cell_sums(s: Transaction) -> tuple[GroupCells, GroupCells, ClusterScores]:
    """2×2 sums on temp table `panel`, by way of table `did_2x2`: treated = units ever
    treated, after = periods from the first adoption on; each cell's score c·e
    (c = ±1/cells of its group and half, e = y − that group-half's mean) summed by cluster."""
    s.execute("""CREATE OR REPLACE TEMP TABLE did_2x2 AS
        WITH first AS (SELECT min(period) AS f FROM panel WHERE d > 0),
        cells AS (SELECT p.unit_id, p.y, max(p.d) OVER (PARTITION BY p.unit_id) AS g,
                         CASE WHEN p.period >= first.f THEN 1 ELSE 0 END AS post
                  FROM panel p, first)
        SELECT unit_id, g, post, y, y - avg(y) OVER (PARTITION BY g, post) AS e,
               count(*) OVER (PARTITION BY g, post) AS m
        FROM cells""")
    rows = s.execute("""SELECT g > 0, count(*) FILTER (WHERE post = 0),
            count(*) FILTER (WHERE post = 1), coalesce(sum(y) FILTER (WHERE post = 0), 0),
            coalesce(sum(y) FILTER (WHERE post = 1), 0)
        FROM did_2x2 GROUP BY g""").rows
    units = dict(
        s.execute("""SELECT g > 0, count(*) FROM (SELECT unit_id,
        max(d) AS g FROM panel GROUP BY unit_id) GROUP BY 1""").rows
    )
    groups = {r[0]: GroupCells(int(units[r[0]]), int(r[1]), int(r[2]), *r[3:]) for r in rows}
    if True not in groups or False not in groups:
        raise NotEstimable("A 2×2 needs both treated and never-treated units in the panel.")
    per_unit = """(SELECT unit_id,
        sum(e / m * (2 * post - 1) * CASE WHEN g > 0 THEN 1 ELSE -1 END) AS sc
        FROM did_2x2 GROUP BY unit_id)"""
    squares, clusters = s.execute(f"""SELECT sum(sc * sc), count(*) FROM (
        {BY_CLUSTER.format(sums="sum(sc) AS sc", per_unit=per_unit)})""").rows[0]
    return groups[True], groups[False], ClusterScores(float(squares), int(clusters))


@dataclass(frozen=True)
class ClusterCross:
    """What the wild cluster bootstrap needs (see impact.stats.did.boot)."""

    cy: np.ndarray  # (G, G) Σ D̈_it ÿ_jt, i ∈ g, j ∈ h, same period
    cd: np.ndarray  # (G, G) Σ D̈_it D̈_jt
    own_y: np.ndarray  # (G,) Σ D̈_it ÿ_it over cluster g's cells
    own_d: np.ndarray  # (G,) Σ D̈_it²
    units: int


def cross_products(s: Transaction, within: str) -> ClusterCross:
    """ClusterCross of demeaned table `within`, by way of table `{within}_ct`."""
    names = [r[0] for r in s.execute("SELECT DISTINCT cluster FROM panel_units ORDER BY 1").rows]
    index = {c: i for i, c in enumerate(names)}
    size = len(names)
    cy, cd = np.zeros((size, size)), np.zeros((size, size))
    # Sum over each cluster's period totals first: G² × T products, not U².
    s.execute(f"""CREATE OR REPLACE TEMP TABLE {within}_ct AS SELECT k.cluster, w.period,
        sum(w.dd) AS dd, sum(w.yy) AS yy FROM {within} w JOIN panel_units k USING (unit_id)
        GROUP BY k.cluster, w.period""")
    pairs = s.execute(f"""SELECT a.cluster, b.cluster, sum(a.dd * b.yy), sum(a.dd * b.dd)
        FROM {within}_ct a JOIN {within}_ct b USING (period)
        GROUP BY a.cluster, b.cluster""").rows
    for g, h, y, d in pairs:
        cy[index[g], index[h]], cd[index[g], index[h]] = y, d
    own_y, own_d = np.zeros(size), np.zeros(size)
    per_unit = f"(SELECT unit_id, sum(dd * yy) AS y, sum(dd * dd) AS d FROM {within} GROUP BY 1)"
    for g, y, d in s.execute(BY_CLUSTER.format(sums="sum(y), sum(d)", per_unit=per_unit)).rows:
        own_y[index[g]], own_d[index[g]] = y, d
    units = s.scalar(f"SELECT count(DISTINCT unit_id) FROM {within}")
    return ClusterCross(cy, cd, own_y, own_d, int(units))
