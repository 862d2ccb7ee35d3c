"""CUPED readout of the demo experiment: Impact against pandas + statsmodels.

Each side runs in a fresh subprocess per repetition (`python -m bench.ab impact|pandas`),
which prints one JSON line: seconds (the work, after imports), the effect of each arm
against control, and the process's peak resident memory (VmHWM).

- impact: `experiment_readout` with CUPED on revenue_28d; the warehouse reduces the facts
  to per-arm sums in SQL and the pure stats functions turn them into estimates. It
  includes the data-readiness checks of the datasets the readout uses (its caveats).
- estimate: the same readout after those checks ran in the process (untimed), as a
  page's second view: the estimation alone.
- pandas: what an analyst would write: read the assignment and outcome files the demo
  generator wrote, merge, keep each unit's 28 days after assignment and the 28 days
  before, sum per unit (assigned units without outcomes count as 0), then OLS
  y ~ C(arm) + x_centred with HC1 errors on the two million unit rows.
- duckdb: the floor: FLOOR_SQL alone on the warehouse (one read-only DuckDB connection,
  no catalog, no statistics), the join and per-arm sums every CUPED readout needs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench.common import (
    alternate,
    assignments_file,
    medians_and_peaks,
    open_store,
    outcomes_file,
    peak_bytes,
    report,
)
from impact.demo import truth as T

METRIC = "revenue_28d"
TARGET_RATIO = 15.0
TARGET_PEAK_BYTES = 500_000_000
TARGET_DIFFERENCE = 1e-8
TARGET_FLOOR_RATIO = 2.0  # Impact's time at most this times the bare reduction's

# Each unit's revenue in the 28 days from assignment (y) and the 28 days before (x), 0
# without any, then per arm: n, sums, squares and the cross-product CUPED needs.
FLOOR_SQL = """
WITH units AS (
  SELECT unit_id, arm, assigned_at FROM assignments WHERE experiment = $experiment),
per_unit AS (
  SELECT u.arm,
    coalesce(sum(CASE WHEN o.observed_at >= u.assigned_at
      AND o.observed_at < u.assigned_at + INTERVAL '28' DAY THEN o.value END), 0) AS y,
    coalesce(sum(CASE WHEN o.observed_at < u.assigned_at
      AND o.observed_at >= u.assigned_at - INTERVAL '28' DAY THEN o.value END), 0) AS x
  FROM units u LEFT JOIN outcomes o ON o.unit_id = u.unit_id AND o.metric = 'revenue'
  GROUP BY u.unit_id, u.arm)
SELECT arm, count(*), sum(y), sum(y * y), sum(x), sum(x * x), sum(x * y)
FROM per_unit GROUP BY arm ORDER BY arm
"""


def _store(where: str | None):
    """The full demo's store, or the experiment-only one in `where` (bench.scaling's)."""
    if where is None:
        return open_store()
    from bench.scaling import store_in

    return store_in(Path(where))


def impact_side(where: str | None = None, checked: bool = False) -> dict:
    """The readout as a user waits for it, with its data-readiness checks; `checked`:
    those checks ran first in the process (as after a page's first view), untimed."""
    from impact.analysis.ab import experiment_readout
    from impact.analysis.readiness import readiness_caveats
    from impact.stats.experiment import ReadoutOptions

    store = _store(where)
    if checked:
        readiness_caveats(store, T.EXPERIMENT)
    start = time.perf_counter()
    result = experiment_readout(store, T.EXPERIMENT, ReadoutOptions(cuped=True), metrics=[METRIC])
    seconds = time.perf_counter() - start
    estimates = result.readout.estimates
    if not all(e.method.startswith("CUPED") for e in estimates):
        raise RuntimeError(f"Impact did not use CUPED: {[e.method for e in estimates]}")
    return {
        "seconds": seconds,
        "effects": {e.label.split(" vs ")[0]: e.effect for e in estimates},
        "se": {e.label.split(" vs ")[0]: e.se for e in estimates},
    }


def pandas_side(where: str | None = None) -> dict:
    import pandas as pd
    import statsmodels.formula.api as smf

    files = (assignments_file(), outcomes_file())
    if where is not None:  # the files bench.scaling wrote next to that warehouse
        files = (Path(where) / "assignments.parquet", Path(where) / "outcomes.parquet")
    start = time.perf_counter()
    units = pd.read_parquet(files[0], columns=["experiment", "unit_id", "arm", "assigned_at"])
    units = units[units["experiment"] == T.EXPERIMENT].drop(columns="experiment")
    outcomes = pd.read_parquet(files[1], columns=["unit_id", "observed_at", "revenue"])
    outcomes = outcomes.dropna(subset=["revenue"])
    rows = outcomes.merge(units[["unit_id", "assigned_at"]], on="unit_id")
    since = rows["observed_at"] - rows["assigned_at"]
    window = pd.Timedelta(days=T.WINDOW_DAYS)
    post = (since >= pd.Timedelta(0)) & (since < window)
    pre = (since < pd.Timedelta(0)) & (since >= -window)
    y = rows.loc[post].groupby("unit_id")["revenue"].sum()
    x = rows.loc[pre].groupby("unit_id")["revenue"].sum()
    units = units.set_index("unit_id")
    units["y"] = y.reindex(units.index, fill_value=0.0)
    units["x"] = x.reindex(units.index, fill_value=0.0)
    units["x_centred"] = units["x"] - units["x"].mean()
    term = f"C(arm, Treatment({T.CONTROL!r}))"
    fit = smf.ols(f"y ~ {term} + x_centred", data=units).fit(cov_type="HC1")
    seconds = time.perf_counter() - start
    arms = [a for a in T.ARMS if a != T.CONTROL]
    return {
        "seconds": seconds,
        "effects": {a: float(fit.params[f"{term}[T.{a}]"]) for a in arms},
        "se": {a: float(fit.bse[f"{term}[T.{a}]"]) for a in arms},
    }


def duckdb_side(where: str | None = None) -> dict:
    import duckdb

    from impact.warehouse import versions

    start = time.perf_counter()
    warehouse = _store(where).warehouse.path
    con = duckdb.connect(str(versions.current_file(warehouse)), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(FLOOR_SQL, {"experiment": T.EXPERIMENT}).fetchall()
    con.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "units": sum(r[1] for r in rows)}


def estimate_side(where: str | None = None) -> dict:
    return impact_side(where, checked=True)


SIDES = {
    "impact": impact_side,
    "estimate": estimate_side,
    "pandas": pandas_side,
    "duckdb": duckdb_side,
}


def benchmark(repeat: int = 3, log=print, where: Path | None = None) -> bool:
    """Alternate the sides `repeat` times; print the figures; True when every target is met.
    `where`: read the experiment-only warehouse there instead of the full demo's."""
    runs = alternate("bench.ab", SIDES, repeat, log, args=[str(where)] if where else None)
    median, peak = medians_and_peaks(runs)
    ratio = median["pandas"] / median["impact"]
    estimate_ratio = median["pandas"] / median["estimate"]
    floor = median["estimate"] / median["duckdb"]
    difference = max(
        abs(i["effects"][arm] - p["effects"][arm])
        for i in runs["impact"]
        for p in runs["pandas"]
        for arm in p["effects"]
    )
    se_gap = max(
        abs(i["se"][arm] / p["se"][arm] - 1)
        for i in runs["impact"]
        for p in runs["pandas"]
        for arm in p["se"]
    )
    checks = [
        (f"speed: {ratio:.1f}x faster (target >= {TARGET_RATIO:g}x)", ratio >= TARGET_RATIO),
        (
            f"memory: Impact peak {peak['impact'] / 1e9:.2f} GB (target < "
            f"{TARGET_PEAK_BYTES / 1e9:g} GB)",
            peak["impact"] < TARGET_PEAK_BYTES,
        ),
        (
            f"floor: the estimate takes {floor:.1f}x the bare DuckDB reduction's time (target <= "
            f"{TARGET_FLOOR_RATIO:g}x)",
            floor <= TARGET_FLOOR_RATIO,
        ),
        (
            f"estimates: max |difference| {difference:.1e} (target <= {TARGET_DIFFERENCE:g})",
            difference <= TARGET_DIFFERENCE,
        ),
    ]
    effects = runs["impact"][0]["effects"]
    lines = [
        "effects: " + ", ".join(f"{arm} {value:+.6f}" for arm, value in effects.items()),
        f"standard errors (Impact vs HC1 OLS) agree to a relative {se_gap:.1e}",
        f"the estimate alone (readiness checked beforehand): {estimate_ratio:.1f}x pandas",
    ]
    title = f"\nCUPED readout of {T.EXPERIMENT} on {METRIC}, median of {repeat}:"
    labels = {
        "impact": "Impact readout, readiness checks included",
        "estimate": "Impact readout, readiness already checked",
        "pandas": "pandas + statsmodels",
        "duckdb": "bare DuckDB reduction",
    }
    return report(log, title, labels, median, peak, lines, checks)


if __name__ == "__main__":
    result = SIDES[sys.argv[1]](*sys.argv[2:3])
    result["peak"] = peak_bytes()
    print(json.dumps(result))
