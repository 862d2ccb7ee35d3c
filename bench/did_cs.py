"""Staggered-rollout benchmark: Callaway & Sant'Anna, Impact against csdid.

The panel: the first N units (all 1,000,000 unless told otherwise) of the TWFE benchmark's
1,000,000-unit × 20-week staggered panel (bench/did.py builds or reuses it). DuckDB copies
those units' cells from bench/out/did/cells.parquet into bench/out/did_cs/cells.parquet,
and one INSERT … SELECT per table loads that file into a warehouse of its own (`loads`,
`rollouts`, `outcomes` with metric "y"), so both sides see exactly the same rows. A marker
written last records N; later runs with the same N reuse the build.

Each side runs in a fresh subprocess per repetition (`python -m bench.did_cs impact|csdid`),
printing one JSON line: seconds (the work, after imports), the simple ATT and its standard
error, and the process's peak resident memory (VmHWM). Both estimate ATT(g, t) against
never-treated controls with the "varying" base period, unconditional (no covariates), with
analytic standard errors (no bootstrap), then aggregate them the `did::aggte("simple")`
way.

- impact: `Panel.open(...).cohorts()` (per-cohort means and cross-products in DuckDB),
  then `group_time(m, "never")` and `aggregate(gt, "simple")`.
- csdid: read the same parquet file into pandas, derive numeric ids, periods 1..20 and the
  first treated period (0 for never treated), then
  `ATTgt(..., control_group=["nevertreated"]).fit(est_method="reg", bstrap=False)` and
  `.aggte(typec="simple", bstrap=False)`.
"""

from __future__ import annotations

import json
import shutil
import sys
import time

from bench.common import OUT, alternate, peak_bytes, report, rows_text
from bench.did import CELLS as SOURCE
from bench.did import DATASET, METRIC, PERIODS, STUDY, load, panel_counts, verdict
from bench.did import UNITS as ALL_UNITS
from bench.did import ensure_panel as ensure_source

DIR = OUT / "did_cs"
CELLS = DIR / "cells.parquet"
WAREHOUSE = DIR / "did_cs.duckdb"
MARKER = DIR / "built.json"

UNITS = ALL_UNITS  # default: the whole panel; --units N takes the first N

# Speed and agreement targets as bench.did's; memory: at most csdid's peak (measured: 47% at
# 1,000,000 units, ~70% at 100,000).
TARGET_PEAK_SHARE = 1.0


def _expected(units: int) -> dict:
    return {"units": units, "of": ALL_UNITS, "periods": PERIODS, "source": str(SOURCE)}


def _warehouse():
    from impact.warehouse import Warehouse

    return Warehouse(WAREHOUSE)


def _marker() -> dict:
    return json.loads(MARKER.read_text())


def is_built(units: int) -> bool:
    if not (MARKER.exists() and WAREHOUSE.exists() and CELLS.exists()):
        return False
    marker = _marker()
    if marker.get("sizes") != _expected(units):
        return False
    return panel_counts(_warehouse()) == marker["rows"]


def subset(units: int) -> int:
    """Copy the first `units` units' cells into CELLS with DuckDB; the number of cells."""
    from impact.warehouse import Staging  # the one place that opens DuckDB

    last = f"u{units:07d}"  # ids are u0000000 … u0999999: the first N sort below u{N}
    with Staging() as staging:
        staging.execute(
            f"""COPY (SELECT * FROM read_parquet('{SOURCE}') WHERE unit_id < '{last}'
                ORDER BY unit_id, period) TO '{CELLS}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)"""
        )
        return int(staging.scalar(f"SELECT count(*) FROM read_parquet('{CELLS}')"))


def ensure_panel(units: int = UNITS, log=print) -> float | None:
    """Build the N-unit subset unless a complete build is there; seconds, or None if reused."""
    if not 0 < units <= ALL_UNITS:
        raise ValueError(f"--units must be between 1 and {ALL_UNITS:,}, got {units:,}.")
    ensure_source(log)
    if is_built(units):
        marker = _marker()
        built = f"built in {marker['seconds']:.1f} s"
        log(f"Reusing the {units:,}-unit subset in {DIR} ({built}); {rows_text(marker)}")
        return None
    if DIR.exists():
        shutil.rmtree(DIR)
    DIR.mkdir(parents=True)
    log(f"Building the first {units:,} units × {PERIODS} weeks of the rollout panel in {DIR}")
    start = time.perf_counter()
    cells = subset(units)
    copied = time.perf_counter() - start
    log(f"  copied {cells:,} cells into {CELLS.name} in {copied:.1f} s")
    load(CELLS, _warehouse(), "bench-did-cs", units)
    seconds = time.perf_counter() - start
    log(f"  loaded rollouts and outcomes in {seconds - copied:.1f} s")
    marker = {"sizes": _expected(units), "rows": panel_counts(_warehouse()), "seconds": seconds}
    MARKER.write_text(json.dumps(marker, indent=2))
    log(f"Built the subset in {seconds:.1f} s; {rows_text(marker)}")
    return seconds


def _units() -> int:
    return _marker()["sizes"]["units"]


def impact_side() -> dict:
    from impact.queries.did.panel import Panel
    from impact.queries.did.stored import PanelSource
    from impact.stats.did.cs import aggregate, group_time

    units = _units()
    start = time.perf_counter()
    with Panel.open(_warehouse(), PanelSource(STUDY, DATASET, METRIC)) as panel:
        m = panel.cohorts()
    estimate = aggregate(group_time(m, "never"), "simple").estimate
    seconds = time.perf_counter() - start
    seen = int(m.counts.sum())
    if m.unbalanced_units or seen != units:
        raise RuntimeError(f"Unexpected panel: {seen} units, {m.unbalanced_units} unbalanced")
    return {"seconds": seconds, "effect": estimate.effect, "se": estimate.se}


def csdid_side() -> dict:
    import contextlib
    import io
    import warnings

    import pandas as pd
    from csdid.att_gt import ATTgt

    units = _units()
    start = time.perf_counter()
    df = pd.read_parquet(CELLS, columns=["unit_id", "period", "y", "d"])
    df["id"] = df["unit_id"].str.slice(1).astype("int64")
    df["t"] = df["period"].astype("int64") + 1  # 1..20, so that 0 can mean never treated
    first = df["t"].where(df["d"] > 0).groupby(df["id"]).transform("min")
    df["g"] = first.fillna(0).astype("int64")
    quiet = contextlib.redirect_stdout(io.StringIO())  # aggte prints its summary table
    with quiet, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        att = ATTgt(
            yname="y",
            gname="g",
            idname="id",
            tname="t",
            data=df[["id", "t", "g", "y"]],
            control_group=["nevertreated"],
        )
        att.fit(est_method="reg", bstrap=False)
        att.aggte(typec="simple", bstrap=False)
    seconds = time.perf_counter() - start
    if att.dp["n"] != units:
        raise RuntimeError(f"Unexpected panel: csdid saw {att.dp['n']} units")
    return {
        "seconds": seconds,
        "effect": float(att.atte["overall_att"]),
        "se": float(att.atte["overall_se"]),
        "warnings": sorted({str(w.message) for w in caught}),
    }


SIDES = {"impact": impact_side, "csdid": csdid_side}


def benchmark(repeat: int = 2, log=print) -> bool:
    """Alternate the sides `repeat` times; print the figures; True when every target is met."""
    units = _units()
    runs = alternate("bench.did_cs", SIDES, repeat, log)
    median, peak, lines, checks = verdict(runs, "csdid", TARGET_PEAK_SHARE)
    other = runs["csdid"][0]
    lines.append(f"csdid  {other['effect']:+.6f}, standard error {other['se']:.6f}")
    for message in sorted({m for r in runs["csdid"] for m in r.get("warnings", [])}):
        lines.append(f"csdid warned: {message}")
    title = (
        f"\nCallaway & Sant'Anna, simple ATT, never-treated controls, on {units:,} units × "
        f"{PERIODS} weeks, median of {repeat}:"
    )
    labels = {"impact": "Impact (SQL + stats)", "csdid": "csdid ATTgt + aggte"}
    return report(log, title, labels, median, peak, lines, checks)


if __name__ == "__main__":
    result = SIDES[sys.argv[1]]()
    result["peak"] = peak_bytes()
    print(json.dumps(result))
