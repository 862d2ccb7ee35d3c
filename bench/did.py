"""Rollout (DiD) benchmark: TWFE with unit-clustered errors, Impact against pyfixest.

The panel: 1,000,000 units × 20 weekly periods, balanced, staggered adoption (40% of units
never treated, the rest switching on in one of weeks 5-15), y = unit effect + period
effect + 1.5·D + noise. numpy generates it once into bench/out/did/cells.parquet (one row
per cell: unit_id, period, observed_at, treated_at, y, d) and one INSERT … SELECT from
read_parquet per table loads it into a bench warehouse (`loads`, `rollouts`, `outcomes`
with metric "y"); a marker written last records the sizes, and later runs reuse the build.

Each side runs in a fresh subprocess per repetition (`python -m bench.did impact|pyfixest`),
printing one JSON line: seconds (the work, after imports), the effect and its standard
error, and the process's peak resident memory (VmHWM).

- impact: `Panel.open(...).within()` (the panel and the two-way within transformation in
  DuckDB) and `twfe` (CR1 by unit, fixest's K) on the bench warehouse.
- pyfixest: read the same parquet file into pandas, then
  `pf.feols("y ~ d | unit_id + period", data=df, vcov={"CRV1": "unit_id"})`.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from bench.common import (
    OUT,
    alternate,
    medians_and_peaks,
    peak_bytes,
    report,
    rows_text,
    stored_counts,
)

DIR = OUT / "did"
CELLS = DIR / "cells.parquet"
WAREHOUSE = DIR / "did.duckdb"
MARKER = DIR / "built.json"

UNITS = 1_000_000
PERIODS = 20
EFFECT = 1.5
SEED = 11
STUDY = "bench-rollout"
DATASET = "bench-rollout-outcomes"
METRIC = "y"
START = "2026-01-05"  # a Monday: each cell's observed_at is its week's Monday noon (UTC)

TARGET_RATIO = 1.0
TARGET_PEAK_SHARE = 0.5  # Impact's peak memory at most this share of pyfixest's
TARGET_DIFFERENCE = 1e-6


def _expected() -> dict:
    return {"units": UNITS, "periods": PERIODS, "effect": EFFECT, "seed": SEED}


def panel_counts(warehouse) -> dict[str, int]:
    return stored_counts(warehouse, ("rollouts", "outcomes"))


def _warehouse():
    from impact.warehouse import Warehouse

    return Warehouse(WAREHOUSE)


def is_built() -> bool:
    if not (MARKER.exists() and WAREHOUSE.exists() and CELLS.exists()):
        return False
    marker = json.loads(MARKER.read_text())
    return marker.get("sizes") == _expected() and panel_counts(_warehouse()) == marker["rows"]


def generate(path: Path) -> int:
    """Write the cell-level panel with numpy + pyarrow; the number of cells."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    unit_effect = rng.normal(10.0, 3.0, UNITS)
    period_effect = np.cumsum(rng.normal(0.2, 0.5, PERIODS))
    cohort = np.where(rng.random(UNITS) < 0.4, -1, rng.integers(5, 16, UNITS))
    unit = np.repeat(np.arange(UNITS), PERIODS)
    period = np.tile(np.arange(PERIODS), UNITS)
    ucohort = cohort[unit]
    d = ((ucohort >= 0) & (period >= ucohort)).astype(np.float64)
    y = unit_effect[unit] + period_effect[period] + EFFECT * d + rng.normal(0, 2.0, unit.size)
    ids = pa.array([f"u{i:07d}" for i in range(UNITS)], pa.string())
    start = np.datetime64(START, "us") + np.timedelta64(12, "h")
    week = np.timedelta64(7, "D")
    observed = start + period.astype("timedelta64[W]").astype("timedelta64[us]")
    treated = np.where(ucohort >= 0, start + ucohort * week, np.datetime64("NaT"))
    table = pa.table(
        {
            "unit_id": ids.take(pa.array(unit)),
            "period": pa.array(period.astype(np.int16)),
            "observed_at": pa.array(observed, pa.timestamp("us", tz="UTC")),
            "treated_at": pa.array(treated.astype("datetime64[us]"), pa.timestamp("us", "UTC")),
            "y": pa.array(y),
            "d": pa.array(d),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)
    return table.num_rows


def load(path: Path, warehouse=None, dataset_id: str = "bench-did", units: int = UNITS) -> None:
    """Register the dataset in `loads`, then one INSERT … SELECT per fact table."""
    with (warehouse or _warehouse()).transaction() as t:
        t.execute(
            """INSERT INTO loads VALUES ($id, $name, 'outcomes', $file, 'bench', $rows,
               '{}', 'bench', now())""",
            {"id": dataset_id, "name": DATASET, "file": path.name, "rows": units * PERIODS},
        )
        t.execute(
            """INSERT INTO rollouts SELECT $id, $study, unit_id, any_value(treated_at)
               FROM read_parquet($file) GROUP BY unit_id""",
            {"id": dataset_id, "study": STUDY, "file": str(path)},
        )
        t.execute(
            """INSERT INTO outcomes SELECT $id, unit_id, observed_at, $metric, y
               FROM read_parquet($file)""",
            {"id": dataset_id, "metric": METRIC, "file": str(path)},
        )


def ensure_panel(log=print) -> float | None:
    """Build the panel unless a complete build is there; seconds taken, or None if reused."""
    if is_built():
        marker = json.loads(MARKER.read_text())
        built = f"built in {marker['seconds']:.1f} s"
        log(f"Reusing the rollout panel in {DIR} ({built}); {rows_text(marker)}")
        return None
    if DIR.exists():
        shutil.rmtree(DIR)
    DIR.mkdir(parents=True)
    log(f"Building the rollout panel ({UNITS:,} units × {PERIODS} weeks) in {DIR}")
    start = time.perf_counter()
    cells = generate(CELLS)
    generated = time.perf_counter() - start
    log(f"  generated {cells:,} cells into {CELLS.name} in {generated:.1f} s")
    load(CELLS)
    seconds = time.perf_counter() - start
    log(f"  loaded rollouts and outcomes in {seconds - generated:.1f} s")
    marker = {"sizes": _expected(), "rows": panel_counts(_warehouse()), "seconds": seconds}
    MARKER.write_text(json.dumps(marker, indent=2))
    log(f"Built the rollout panel in {seconds:.1f} s; {rows_text(marker)}")
    return seconds


def impact_side() -> dict:
    from impact.queries.did.panel import Panel
    from impact.queries.did.stored import PanelSource
    from impact.stats.did.twfe import twfe

    start = time.perf_counter()
    source = PanelSource(STUDY, DATASET, METRIC, period="week", aggregation="mean")
    with Panel.open(_warehouse(), source) as panel:
        moments = panel.within()
    estimate = twfe(moments, k="fixest")
    seconds = time.perf_counter() - start
    if not moments.balanced or moments.observations != UNITS * PERIODS:
        raise RuntimeError(
            f"Unexpected panel: balanced {moments.balanced}, {moments.observations} cells"
        )
    return {"seconds": seconds, "effect": estimate.effect, "se": estimate.se}


def pyfixest_side() -> dict:
    import pandas as pd
    import pyfixest as pf

    start = time.perf_counter()
    df = pd.read_parquet(CELLS, columns=["unit_id", "period", "y", "d"])
    fit = pf.feols("y ~ d | unit_id + period", data=df, vcov={"CRV1": "unit_id"})
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "effect": float(fit.coef()["d"]), "se": float(fit.se()["d"])}


SIDES = {"impact": impact_side, "pyfixest": pyfixest_side}


def verdict(runs: dict, other: str, peak_share: float) -> tuple[dict, dict, list, list]:
    """Median times, peaks, one line on the estimates and the four targets, for two sides
    that each return one effect and its standard error."""
    median, peak = medians_and_peaks(runs)
    ratio = median[other] / median["impact"]
    share = peak["impact"] / peak[other]
    pairs = [(i, o) for i in runs["impact"] for o in runs[other]]
    difference = max(abs(i["effect"] - o["effect"]) for i, o in pairs)
    se_gap = max(abs(i["se"] / o["se"] - 1) for i, o in pairs)
    first = runs["impact"][0]
    lines = [f"effect {first['effect']:+.6f} (true {EFFECT:+g}), standard error {first['se']:.6f}"]
    checks = [
        (f"speed: {ratio:.1f}x faster (target > {TARGET_RATIO:g}x)", ratio > TARGET_RATIO),
        (
            f"memory: Impact peak {share:.0%} of {other}'s (target <= {peak_share:.0%})",
            share <= peak_share,
        ),
        (
            f"estimate: |difference| {difference:.1e} (target <= {TARGET_DIFFERENCE:g})",
            difference <= TARGET_DIFFERENCE,
        ),
        (
            f"standard error: relative difference {se_gap:.1e} (target <= {TARGET_DIFFERENCE:g})",
            se_gap <= TARGET_DIFFERENCE,
        ),
    ]
    return median, peak, lines, checks


def benchmark(repeat: int = 2, log=print) -> bool:
    """Alternate the sides `repeat` times; print the figures; True when every target is met."""
    runs = alternate("bench.did", SIDES, repeat, log)
    median, peak, lines, checks = verdict(runs, "pyfixest", TARGET_PEAK_SHARE)
    title = f"\nTWFE on {UNITS:,} units × {PERIODS} weeks (CR1 by unit), median of {repeat}:"
    labels = {"impact": "Impact (SQL + stats)", "pyfixest": "pyfixest feols"}
    return report(log, title, labels, median, peak, lines, checks)


if __name__ == "__main__":
    result = SIDES[sys.argv[1]]()
    result["peak"] = peak_bytes()
    print(json.dumps(result))
