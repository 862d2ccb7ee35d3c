"""The A/B readout at 10M predictions on DuckDB and on Spark local[1] and local[2].

The same `experiment_readout` (CUPED on revenue_28d) runs three ways over the bench demo
(bench.common): on its DuckDB file, and on Spark reading that file's tables written once as
Parquet (bench/out/spark), with one and two local cores. Each side runs in a fresh process
per repetition; Spark's start-up (the JVM and the session) is timed apart from the readout.
The first readout includes its data-readiness checks (its caveats); a second in the same
process, after them, is the estimation alone.
Peak memory is the Python process's only (Spark's JVM is another process). The readouts
must agree to 1e-9 relative; no speed target: this measures what Spark costs on one
machine, where it is not meant to win.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace

from bench.common import OUT, alternate, medians_and_peaks, open_store, peak_bytes, report
from impact.demo import truth as T

METRIC = "revenue_28d"
PARQUET = OUT / "spark"
# Spark's default driver heap (1 GB) is what a laptop trial gets; the readout's shuffles
# of 48M outcome rows need more on one machine, where the driver is also the executor.
SPARK_CONF = {"spark.sql.shuffle.partitions": "8", "spark.driver.memory": "4g"}


def _readout(store) -> dict:
    from impact.analysis.ab import experiment_readout
    from impact.stats.experiment import ReadoutOptions

    start = time.perf_counter()
    result = experiment_readout(store, T.EXPERIMENT, ReadoutOptions(cuped=True), metrics=[METRIC])
    seconds = time.perf_counter() - start
    estimates = result.readout.estimates
    return {
        "seconds": seconds,
        "effects": {e.label.split(" vs ")[0]: e.effect for e in estimates},
        "se": {e.label.split(" vs ")[0]: e.se for e in estimates},
    }


def _twice(store) -> dict:
    """The first readout (its data-readiness checks included, as a first view) and a
    second in the same process (the checks already done: the estimation alone)."""
    first = _readout(store)
    return first | {"estimate": _readout(store)["seconds"]}


def duckdb_side() -> dict:
    return _twice(open_store())


def _spark_side(master: str) -> dict:
    from impact.warehouse.schema import TABLES
    from impact.warehouse.sources import Location, Sources
    from impact.warehouse.spark import SparkWarehouse

    began = time.perf_counter()
    sources = Sources({t: Location(path=str(PARQUET / f"{t}.parquet")) for t in TABLES})
    warehouse = SparkWarehouse(master, sources, SPARK_CONF)
    warehouse.scalar("SELECT count(*) FROM loads")  # the JVM, the session and the views
    started = time.perf_counter() - began
    result = _twice(replace(open_store(), warehouse=warehouse))
    return result | {"startup": started}


SIDES = {
    "duckdb": duckdb_side,
    "local1": lambda: _spark_side("local[1]"),
    "local2": lambda: _spark_side("local[2]"),
}


def ensure_parquet(log=print) -> None:
    if (PARQUET / "loads.parquet").exists():
        return
    from impact.warehouse.parquet import export_parquet

    start = time.perf_counter()
    export_parquet(open_store().warehouse, PARQUET)
    log(f"  wrote the demo's tables as Parquet in {time.perf_counter() - start:.1f} s")


def benchmark(repeat: int = 3, log=print) -> bool:
    labels = {"duckdb": "DuckDB (default)", "local1": "Spark local[1]", "local2": "Spark local[2]"}
    ensure_parquet(log)
    runs = alternate("bench.spark", SIDES, repeat, log)
    median, peak = medians_and_peaks(runs)
    worst = max(
        abs(s["effects"][arm] / d["effects"][arm] - 1)
        for side in ("local1", "local2")
        for s in runs[side]
        for d in runs["duckdb"]
        for arm in d["effects"]
    )
    startup = {side: min(r["startup"] for r in runs[side]) for side in ("local1", "local2")}
    estimate = {side: sorted(r["estimate"] for r in runs[side]) for side in runs}
    estimate = {side: times[len(times) // 2] for side, times in estimate.items()}
    lines = [
        "a second readout in the same process (readiness already checked): "
        + ", ".join(f"{labels[side]} {t:.2f} s" for side, t in estimate.items()),
        f"Spark start-up (JVM, session, views), not in the times above: local[1] "
        f"{startup['local1']:.1f} s, local[2] {startup['local2']:.1f} s",
        f"Spark is {median['local1'] / median['duckdb']:.1f}x (local[1]) and "
        f"{median['local2'] / median['duckdb']:.1f}x (local[2]) DuckDB's time here",
    ]
    checks = [
        (f"estimates agree: max relative difference {worst:.1e} (target <= 1e-9)", worst <= 1e-9)
    ]
    title = (
        f"\nCUPED readout of {T.EXPERIMENT} on {METRIC} with its readiness checks, "
        f"median of {repeat}:"
    )
    return report(log, title, labels, median, peak, lines, checks)


if __name__ == "__main__":
    result = SIDES[sys.argv[1]]()
    result["peak"] = peak_bytes()
    print(json.dumps(result))
