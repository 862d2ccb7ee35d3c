"""SQL for the event study and the placebo test, on temp tables `panel` and `panel_units`
(see impact.queries.did.panel).

Event times count periods from each unit's first treated period (never-treated units have
none). Every regressor is demeaned in the warehouse like TWFE's: exactly in one pass for
balanced panels, by alternating projections otherwise. Two passes: the moments give β,
then the cluster scores at that β.
"""

from __future__ import annotations

import numpy as np

from impact.errors import NotEstimable
from impact.queries.did.within import BY_CLUSTER
from impact.stats.did.event import EventMoments
from impact.warehouse import Transaction

_COHORTS = """
    idx AS (SELECT period, row_number() OVER (ORDER BY period) - 1 AS t
            FROM (SELECT DISTINCT period FROM panel)),
    f AS (SELECT unit_id, min(CASE WHEN d > 0 THEN period END) AS first FROM panel
          GROUP BY unit_id),
    a AS (SELECT f.unit_id, coalesce(k.adopted, f.first) AS adopted_at
          FROM f JOIN panel_units k USING (unit_id)),
    u AS (SELECT unit_id, CASE WHEN adopted_at <= (SELECT max(period) FROM idx) THEN
            (SELECT count(*) FROM idx WHERE idx.period < a.adopted_at) END AS g FROM a)"""
# g: the adoption period's position among the panel's periods, from the adoption date itself
# (a unit missing its adoption period's cell keeps its true event times); from the first
# treated cell when only a 0/1 treatment is known. As everywhere else (d = 0 throughout),
# a unit adopting after the last period counts as untreated (g NULL); one adopting before
# the first period gets g = 0, its first period (the readout warns about such units).


def event_moments(
    s: Transaction, leads: int, lags: int, tolerance: float = 1e-10
) -> tuple[EventMoments, np.ndarray]:
    """Event-study moments and Σ_g s_g s_g' over clusters g, end points binned at −leads
    and +lags. Tables: es (event time per cell), es_x (its dummies), es_w (demeaned)."""
    if leads < 2 or lags < 0:
        raise NotEstimable("An event study needs leads ≥ 2 (−1 is the reference) and lags ≥ 0.")
    s.execute(
        f"""CREATE OR REPLACE TEMP TABLE es AS WITH {_COHORTS}
        SELECT p.unit_id, p.period, p.y,
               greatest(-$leads, least($lags, i.t - u.g)) AS e
        FROM panel p JOIN idx i USING (period) JOIN u USING (unit_id)""",
        {"leads": leads, "lags": lags},
    )
    events = [
        int(r[0])
        for r in s.execute(
            "SELECT DISTINCT e FROM es WHERE e IS NOT NULL AND e <> -1 ORDER BY 1"
        ).rows
    ]
    if not events:
        raise NotEstimable("No unit is treated during the panel; there is no event to study.")
    columns = ["y"] + [f"x{j}" for j in range(len(events))]
    dummies = ", ".join(
        f"CASE WHEN e = {int(e)} THEN 1.0 ELSE 0.0 END AS x{j}" for j, e in enumerate(events)
    )
    s.execute(f"CREATE OR REPLACE TEMP TABLE es_x AS SELECT unit_id, period, y, {dummies} FROM es")
    units, periods, cells, clusters = s.execute(
        "SELECT count(DISTINCT unit_id), count(DISTINCT period), count(*), "
        "(SELECT count(DISTINCT cluster) FROM panel_units) FROM es_x"
    ).rows[0]
    _demean(s, columns, balanced=cells == units * periods, tolerance=tolerance)
    k = len(events)
    products = [f"sum(x{i} * x{j})" for i in range(k) for j in range(k)]
    products += [f"sum(x{i} * y)" for i in range(k)]
    row = np.array(s.execute(f"SELECT {', '.join(products)} FROM es_w").rows[0], dtype=float)
    treated = s.scalar("SELECT count(DISTINCT unit_id) FROM panel WHERE d > 0")
    m = EventMoments(
        tuple(events),
        row[: k * k].reshape(k, k),
        row[k * k :],
        int(cells),
        int(clusters),
        int(periods),
        int(treated),
        int(units),
    )
    beta = m.coefficients()
    fitted = " + ".join(f"{float(b)!r} * x{j}" for j, b in enumerate(beta))
    sums = ", ".join(f"sum(x{j} * (y - ({fitted}))) AS s{j}" for j in range(k))
    per_unit = f"(SELECT unit_id, {sums} FROM es_w GROUP BY unit_id)"
    per_cluster = BY_CLUSTER.format(
        sums=", ".join(f"sum(s{j}) AS s{j}" for j in range(k)), per_unit=per_unit
    )
    cross = ", ".join(f"sum(s{i} * s{j})" for i in range(k) for j in range(k))
    scores = s.execute(f"SELECT {cross} FROM ({per_cluster})").rows[0]
    return m, np.array(scores, dtype=float).reshape(k, k)


def placebo_cells(s: Transaction, shift: int) -> None:
    """Table `placebo`: the cells before each unit's adoption, with a fake adoption `shift`
    periods early (D = 1 from then on); a real effect cannot leak in, so TWFE on it should
    find about 0."""
    if shift < 1:
        raise NotEstimable("The placebo adoption must be at least 1 period early.")
    s.execute(
        f"""CREATE OR REPLACE TEMP TABLE placebo AS WITH {_COHORTS}
        SELECT p.unit_id, p.period, p.y,
               CASE WHEN u.g IS NOT NULL AND i.t >= u.g - $shift THEN 1.0 ELSE 0.0 END AS d
        FROM panel p JOIN idx i USING (period) JOIN u USING (unit_id)
        WHERE u.g IS NULL OR i.t < u.g""",
        {"shift": shift},
    )


def _demean(
    s: Transaction, columns: list[str], *, balanced: bool, tolerance: float, limit: int = 10_000
) -> None:
    """es_x → es_w with unit and period means removed from every column."""
    if balanced:
        exprs = ", ".join(
            f"{c} - avg({c}) OVER (PARTITION BY unit_id) - avg({c}) OVER (PARTITION BY period)"
            f" + avg({c}) OVER () AS {c}"
            for c in columns
        )
        s.execute(f"CREATE OR REPLACE TEMP TABLE es_w AS SELECT unit_id, period, {exprs} FROM es_x")
        return
    s.execute("CREATE OR REPLACE TEMP TABLE es_w AS SELECT * FROM es_x")
    for _ in range(limit):
        for key in ("unit_id", "period"):
            exprs = ", ".join(f"{c} - avg({c}) OVER (PARTITION BY {key}) AS {c}" for c in columns)
            s.execute(
                f"CREATE OR REPLACE TEMP TABLE es_w AS SELECT unit_id, period, {exprs} FROM es_w"
            )
        means = ", ".join(f"abs(avg({c}))" for c in columns)
        moved = s.scalar(
            f"SELECT max(m) FROM (SELECT greatest({means}) AS m FROM es_w GROUP BY unit_id)"
        )
        if moved < tolerance:
            return
    raise NotEstimable(f"The event study's fixed effects did not converge in {limit} iterations.")
