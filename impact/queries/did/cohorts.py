"""Callaway–Sant'Anna's sufficient statistics in the warehouse: per adoption cohort, the
mean outcome per period and the cross-products of deviations from it; per cluster, the
sums of those deviations (see impact.queries.did.panel for the tables)."""

from __future__ import annotations

import numpy as np

from impact.stats.did.cs import NEVER, CohortMoments
from impact.warehouse import Transaction

WIDE_PERIODS = 60  # up to this many periods, cross-products come from one row per unit


def cohort_moments(s: Transaction, wide_periods: int = WIDE_PERIODS) -> CohortMoments:
    """Per adoption cohort on temp table `panel`: units, mean outcome per period and the
    cross-products of deviations from those means (Callaway–Sant'Anna's sufficient
    statistics without covariates). Units missing a period are left out (balanced panel).
    Tables: cs_units (cohort per unit), cs_means, cs (centred cells), cs_wide, cs_clusters."""
    periods = [r[0] for r in s.execute("SELECT DISTINCT period FROM panel ORDER BY 1").rows]
    s.execute("""CREATE OR REPLACE TEMP TABLE cs_units AS SELECT unit_id, count(*) AS cells,
                 min(CASE WHEN d > 0 THEN period END) AS cohort FROM panel GROUP BY unit_id""")
    dropped = s.scalar("SELECT count(*) FROM cs_units WHERE cells < ?", [len(periods)])
    s.execute(
        """CREATE OR REPLACE TEMP TABLE cs_means AS SELECT u.cohort, p.period, count(*) AS n,
           avg(p.y) AS mean FROM panel p JOIN cs_units u USING (unit_id)
           WHERE u.cells = ? GROUP BY u.cohort, p.period""",
        [len(periods)],
    )
    # Centred by joining the few cohort-period means: cheaper than a window over the panel.
    s.execute(
        """CREATE OR REPLACE TEMP TABLE cs AS
           SELECT p.unit_id, u.cohort, p.period, p.y - m.mean AS e
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
    s.execute(f"""CREATE OR REPLACE TEMP TABLE cs_wide AS
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
        GROUP BY a.cohort, a.period, b.period""").rows


def _clustered_above_units(s: Transaction) -> bool:
    return s.scalar("SELECT count(DISTINCT cluster) < count(*) FROM panel_units")


def _cohort_cluster_sums(s: Transaction, index: dict, c_of: dict):
    """S[r, c, t] = Σ of centred outcomes of cluster r's units in cohort c; n[r, c] units."""
    s.execute("""CREATE OR REPLACE TEMP TABLE cs_clusters AS
        SELECT cs.*, k.cluster FROM cs JOIN panel_units k USING (unit_id)""")
    # Ordered, so the sums' rows are the same on every engine.
    names = [r[0] for r in s.execute("SELECT DISTINCT cluster FROM cs_clusters ORDER BY 1").rows]
    r_of = {r: i for i, r in enumerate(names)}
    sums = np.zeros((len(names), len(c_of), len(index)))
    counts = np.zeros((len(names), len(c_of)))
    for cluster, cohort, period, total, units in s.execute(
        "SELECT cluster, cohort, period, sum(e), count(*) FROM cs_clusters "
        "GROUP BY cluster, cohort, period"
    ).rows:
        c = c_of[NEVER if cohort is None else index[cohort]]
        sums[r_of[cluster], c, index[period]] = total
        counts[r_of[cluster], c] = units  # one cell per unit and period (balanced)
    return sums, counts
