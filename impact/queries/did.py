"""SQL that builds the unit × period panel of a rollout study and its within moments.

The panel: one cell per unit and period (day, week or month) holding the metric's sum or
mean over the outcome rows in it, and the treatment indicator D = 1 from the period that
contains the unit's adoption date on (never-treated units: D = 0 throughout).
The two-way within transformation runs in the warehouse: exact one-pass demeaning when
the panel is balanced, alternating projections (unit, then period, repeated until the
largest change is below `tolerance`) when it is not.
Functions named panel_* work on temp tables `panel` (unit_id, period, y, d: one row per
cell) and `panel_units` (unit_id, adopted, cluster: one row per unit) in an open session,
so a stored study and a file staged by impact.queries.did_file share them. `adopted` is
the adoption period (NULL: never, or unknown when only a 0/1 treatment was given);
`cluster` groups units for the standard errors: the unit itself by default, or a coarser
grouping (a unit segment such as region) that must hold each unit whole. Scores are summed
per unit over the panel, then per cluster over the small unit table: clustering by unit
and by region share one code path, and the big table carries no extra columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from impact.errors import InvalidInput, NotEstimable
from impact.options import check_choice
from impact.stats.did import ClusterScores, GroupCells, WithinMoments
from impact.stats.did_cs import NEVER, CohortMoments
from impact.warehouse import Transaction, Warehouse

PERIODS = ("day", "week", "month")
AGGREGATES = {"sum": "sum", "mean": "avg"}
# Per-unit sums (a relation with unit_id) added up per cluster of temp table panel_units.
BY_CLUSTER = "SELECT k.cluster, {sums} FROM {units} p JOIN panel_units k USING (unit_id) GROUP BY 1"


@dataclass(frozen=True)
class PanelSource:
    study: str
    dataset: str
    metric: str  # the outcome column
    period: str = "week"
    aggregation: str = "mean"
    cluster: str | None = None  # a unit segment (e.g. region); None clusters by unit


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


def _units_sql(source: PanelSource) -> str:
    """One row per unit of `panel`; a unit with two values of the cluster segment gets two
    rows, which panel_check_clusters reports instead of silently picking one."""
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


def _params(source: PanelSource) -> dict:
    return {
        "study": source.study,
        "dataset": source.dataset,
        "metric": source.metric,
        "period": source.period,
    }


def _unit_params(source: PanelSource) -> dict:
    params = {"study": source.study, "period": source.period}
    if source.cluster is not None:
        params["cluster"] = source.cluster
    return params


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


def panel_check_clusters(s: Transaction, name: str) -> None:
    """Every unit of temp table `panel_units` must sit in exactly one cluster `name`."""
    missing = [
        r[0]
        for r in s.execute(
            "SELECT DISTINCT unit_id FROM panel_units WHERE cluster IS NULL ORDER BY 1 LIMIT 4"
        ).rows
    ]
    if missing:
        raise InvalidInput(
            f"Unit(s) {_examples(missing)} lack a {name!r} value (on some or all of their "
            f"rows): give every unit one (as a unit segment or column {name!r}), or cluster "
            "by unit."
        )
    split = [
        r[0]
        for r in s.execute("""SELECT unit_id FROM panel_units GROUP BY unit_id
        HAVING count(DISTINCT cluster) > 1 ORDER BY 1 LIMIT 4""").rows
    ]
    if split:
        raise InvalidInput(
            f"Unit(s) {_examples(split)} have more than one {name!r} value: a cluster must "
            f"hold whole units, so give each unit a single {name!r}."
        )


def _examples(values: list) -> str:
    shown = ", ".join(repr(str(v)) for v in values[:3])
    return shown + (" …" if len(values) > 3 else "")


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
    per_unit = "(SELECT unit_id, sum(dd * yy) AS a, sum(dd * dd) AS b FROM within GROUP BY 1)"
    row = s.execute(f"""
        WITH per_cluster AS ({BY_CLUSTER.format(sums="sum(a) AS a, sum(b) AS b", units=per_unit)})
        SELECT sum(a), sum(b), sum(a * a), sum(a * b), sum(b * b), count(*)
        FROM per_cluster""").rows[0]
    treated = s.scalar("SELECT count(DISTINCT unit_id) FROM panel WHERE d > 0")
    moments = WithinMoments(
        *(float(v or 0.0) for v in row[:5]),
        observations=int(cells),
        clusters=int(row[5]),
        periods=int(periods),
        treated_units=int(treated),
        units=int(units),
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
        create_panel(s, source)
        if not s.scalar("SELECT count(*) FROM panel"):
            raise NotEstimable(
                f"No outcome rows for {source.metric!r} in dataset "
                f"{source.dataset!r} belong to units of study {source.study!r}."
            )
        return compute(s)


def cell_groups(
    warehouse: Warehouse, source: PanelSource
) -> tuple[GroupCells, GroupCells, ClusterScores]:
    return with_panel(warehouse, source, panel_cell_groups)


def cohort_moments(warehouse: Warehouse, source: PanelSource) -> CohortMoments:
    return with_panel(warehouse, source, panel_cohort_moments)


def panel_cell_groups(s: Transaction) -> tuple[GroupCells, GroupCells, ClusterScores]:
    """2×2 sums on temp table `panel`: treated = units ever treated, after = periods from
    the first adoption on; each cell's score c·e (c = ±1/cells of its group and half,
    e = y − that group-half's mean) summed by cluster."""
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
        {BY_CLUSTER.format(sums="sum(sc) AS sc", units=per_unit)})""").rows[0]
    return groups[True], groups[False], ClusterScores(float(squares), int(clusters))


WIDE_PERIODS = 60  # up to this many periods, cross-products come from one row per unit


def panel_cohort_moments(s: Transaction, wide_periods: int = WIDE_PERIODS) -> CohortMoments:
    """Per adoption cohort on temp table `panel`: units, mean outcome per period and the
    cross-products of deviations from those means (Callaway–Sant'Anna's sufficient
    statistics without covariates). Units missing a period are left out (balanced panel)."""
    periods = [r[0] for r in s.execute("SELECT DISTINCT period FROM panel ORDER BY 1").rows]
    s.execute("""CREATE TEMP TABLE cs_units AS SELECT unit_id, count(*) AS cells,
                 min(CASE WHEN d > 0 THEN period END) AS cohort FROM panel GROUP BY unit_id""")
    dropped = s.scalar("SELECT count(*) FROM cs_units WHERE cells < ?", [len(periods)])
    s.execute(
        """CREATE TEMP TABLE cs_means AS SELECT u.cohort, p.period, count(*) AS n,
           avg(p.y) AS mean FROM panel p JOIN cs_units u USING (unit_id)
           WHERE u.cells = ? GROUP BY ALL""",
        [len(periods)],
    )
    # Centred by joining the few cohort-period means: cheaper than a window over the panel.
    s.execute(
        """CREATE TEMP TABLE cs AS SELECT p.unit_id, u.cohort, p.period, p.y - m.mean AS e
           FROM panel p JOIN cs_units u USING (unit_id)
           JOIN cs_means m ON m.cohort IS NOT DISTINCT FROM u.cohort AND m.period = p.period
           WHERE u.cells = ?""",
        [len(periods)],
    )
    means = s.execute("SELECT cohort, period, n, mean FROM cs_means").rows
    index = {p: i for i, p in enumerate(periods)}
    cohorts = sorted({NEVER if r[0] is None else index[r[0]] for r in means})
    c_of = {c: i for i, c in enumerate(cohorts)}
    size = (len(cohorts), len(periods))
    counts, mean = np.zeros(len(cohorts), dtype=np.int64), np.zeros(size)
    centred = np.zeros((*size, len(periods)))
    for cohort, period, n, y in means:
        c = c_of[NEVER if cohort is None else index[cohort]]
        counts[c], mean[c, index[period]] = n, y
    cross = _cross_wide(s, len(periods)) if len(periods) <= wide_periods else _cross_long(s)
    for cohort, t, u, v in cross:
        c = c_of[NEVER if cohort is None else index[cohort]]
        t, u = (t, u) if len(periods) <= wide_periods else (index[t], index[u])
        centred[c, t, u] = centred[c, u, t] = v
    sums = counts_by_cluster = None
    if _clustered_above_units(s):
        sums, counts_by_cluster = _cohort_cluster_sums(s, index, c_of)
    return CohortMoments(
        periods=tuple(periods),
        cohorts=np.array(cohorts),
        counts=counts,
        means=mean,
        cross=centred,
        unbalanced_units=int(dropped),
        cluster_sums=sums,
        cluster_counts=counts_by_cluster,
    )


def _cross_wide(s: Transaction, periods: int) -> list[tuple]:
    """Σ e_t e_u per cohort from one row of T centred values per unit (t ≤ u indices)."""
    pivot = ", ".join(f"sum(e) FILTER (WHERE i.t = {t}) AS e{t}" for t in range(periods))
    s.execute(f"""CREATE TEMP TABLE cs_wide AS
        WITH idx AS (SELECT period, (row_number() OVER (ORDER BY period) - 1)::INTEGER AS t
                     FROM (SELECT DISTINCT period FROM cs))
        SELECT unit_id, cohort, {pivot} FROM cs JOIN idx i USING (period)
        GROUP BY unit_id, cohort""")
    pairs = [(t, u) for t in range(periods) for u in range(t, periods)]
    products = ", ".join(f"sum(e{t} * e{u})" for t, u in pairs)
    rows = s.execute(f"SELECT cohort, {products} FROM cs_wide GROUP BY cohort").rows
    return [(r[0], t, u, v) for r in rows for (t, u), v in zip(pairs, r[1:], strict=True)]


def _cross_long(s: Transaction) -> list[tuple]:
    """The same sums by a self-join (periods as values): for many periods, where one
    column per period would make the statement too wide."""
    return s.execute("""SELECT a.cohort, a.period, b.period, sum(a.e * b.e)
        FROM cs a JOIN cs b ON a.unit_id = b.unit_id AND a.period <= b.period
        GROUP BY ALL""").rows


def _clustered_above_units(s: Transaction) -> bool:
    return s.scalar("SELECT count(DISTINCT cluster) < count(*) FROM panel_units")


def _cohort_cluster_sums(s: Transaction, index: dict, c_of: dict):
    """S[r, c, t] = Σ of centred outcomes of cluster r's units in cohort c; n[r, c] units."""
    s.execute("""CREATE OR REPLACE TEMP TABLE cs_clusters AS
        SELECT cs.*, k.cluster FROM cs JOIN panel_units k USING (unit_id)""")
    names = [r[0] for r in s.execute("SELECT DISTINCT cluster FROM cs_clusters").rows]
    r_of = {r: i for i, r in enumerate(names)}
    sums = np.zeros((len(names), len(c_of), len(index)))
    counts = np.zeros((len(names), len(c_of)))
    for cluster, cohort, period, total, units in s.execute(
        "SELECT cluster, cohort, period, sum(e), count(*) FROM cs_clusters GROUP BY ALL"
    ).rows:
        c = c_of[NEVER if cohort is None else index[cohort]]
        sums[r_of[cluster], c, index[period]] = total
        counts[r_of[cluster], c] = units  # one cell per unit and period (balanced)
    return sums, counts


@dataclass(frozen=True)
class ClusterCross:
    """What the wild cluster bootstrap needs (see impact.stats.did_boot)."""

    cy: np.ndarray  # (G, G) Σ D̈_it ÿ_jt, i ∈ g, j ∈ h, same period
    cd: np.ndarray  # (G, G) Σ D̈_it D̈_jt
    own_y: np.ndarray  # (G,) Σ D̈_it ÿ_it over cluster g's cells
    own_d: np.ndarray  # (G,) Σ D̈_it²
    units: int


def within_cluster_cross(warehouse: Warehouse, source: PanelSource, max_clusters: int = 2000):
    """TWFE moments plus the cluster cross-products (for the wild bootstrap, worth it only
    with few clusters: G² values come back)."""

    def run(s: Transaction):
        moments, info = panel_within_moments(s)
        if not info["balanced"]:
            raise NotEstimable("The wild cluster bootstrap here needs a balanced panel.")
        if moments.clusters > max_clusters:
            raise NotEstimable(
                f"{moments.clusters} clusters: the wild bootstrap is for few clusters "
                f"(at most {max_clusters}); the cluster-robust interval is reliable here."
            )
        return moments, info, panel_cluster_cross(s)

    return with_panel(warehouse, source, run)


def panel_cluster_cross(s: Transaction) -> ClusterCross:
    """ClusterCross of temp table `within` (after panel_within_moments)."""
    names = [r[0] for r in s.execute("SELECT DISTINCT cluster FROM panel_units ORDER BY 1").rows]
    index = {c: i for i, c in enumerate(names)}
    size = len(names)
    cy, cd = np.zeros((size, size)), np.zeros((size, size))
    # Sum over each cluster's period totals first: G² × T products, not U².
    s.execute("""CREATE OR REPLACE TEMP TABLE within_ct AS SELECT k.cluster, w.period,
        sum(w.dd) AS dd, sum(w.yy) AS yy FROM within w JOIN panel_units k USING (unit_id)
        GROUP BY ALL""")
    for g, h, y, d in s.execute("""SELECT a.cluster, b.cluster, sum(a.dd * b.yy),
        sum(a.dd * b.dd) FROM within_ct a JOIN within_ct b USING (period) GROUP BY ALL""").rows:
        cy[index[g], index[h]], cd[index[g], index[h]] = y, d
    own_y, own_d = np.zeros(size), np.zeros(size)
    per_unit = "(SELECT unit_id, sum(dd * yy) AS y, sum(dd * dd) AS d FROM within GROUP BY 1)"
    for g, y, d in s.execute(BY_CLUSTER.format(sums="sum(y), sum(d)", units=per_unit)).rows:
        own_y[index[g]], own_d[index[g]] = y, d
    units = s.scalar("SELECT count(DISTINCT unit_id) FROM within")
    return ClusterCross(cy, cd, own_y, own_d, int(units))


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
    s.execute(f"CREATE TEMP TABLE panel_units AS {_units_sql(source)}", _unit_params(source))
    if source.cluster is not None:
        _check_segment(s, source)
        panel_check_clusters(s, source.cluster)


def panel_facts(s: Transaction) -> dict[str, int]:
    """Size and shape of temp table `panel`: what the estimators' warnings depend on."""
    row = s.execute("""
        WITH u AS (SELECT unit_id, min(CASE WHEN d > 0 THEN period END) AS g FROM panel
                   GROUP BY unit_id)
        SELECT (SELECT count(*) FROM u), (SELECT count(DISTINCT period) FROM panel),
               (SELECT count(*) FROM panel), count(g), count(*) - count(g), count(DISTINCT g),
               (SELECT count(DISTINCT cluster) FROM panel_units)
        FROM u""").rows[0]
    keys = ("units", "periods", "cells", "treated_units", "never_treated", "cohorts", "clusters")
    return dict(zip(keys, (int(v) for v in row), strict=True))


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
