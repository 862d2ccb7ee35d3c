"""`python -m bench [ab|did|cs|pages|ingest|scaling|spark]`: time Impact against the usual path.

- ab: build (or reuse) the 10M-prediction demo, then time the CUPED readout against
  pandas + statsmodels;
- did: build (or reuse) a 1,000,000-unit × 20-week rollout panel, then time TWFE with
  unit-clustered errors against pyfixest (`pip install -e .[bench]`);
- cs: take the first --units units of that panel (all 1,000,000 by default), then time
  Callaway & Sant'Anna's simple ATT against csdid (also in the `bench` extra);
- pages: on the ab demo, every page and the main widget changes, cold and warm, with
  Streamlit's AppTest and in headless Chromium, against 3 s cold and 1 s warm;
- ingest: write a --rows predictions file as Parquet and CSV (10,000,000 by default), then
  time `ingest_file` on each against pandas + to_sql and bare DuckDB (the floor);
- scaling: the CUPED readout at 1M, 3M, 10M and 30M predictions (--sizes), with a chart;
- spark: the ab readout on DuckDB and on Spark local[1] and local[2] (the `spark` extra;
  Java 17), same numbers, Spark's cost on one machine.
With no argument all but spark run (`make bench` runs spark after them). The exit status is
non-zero when any target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from impact.warehouse.results import SWITCH as RESULT_CACHE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "which",
        nargs="?",
        choices=("all", "ab", "did", "cs", "pages", "ingest", "scaling", "spark"),
        default="all",
        help="what to time",
    )
    parser.add_argument(
        "--rows", type=int, default=10_000_000, help="predictions in the ingest benchmark's file"
    )
    parser.add_argument(
        "--sizes",
        default="1000000,3000000,10000000,30000000",
        help="predictions at each point of the scaling benchmark, comma-separated",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per side")
    parser.add_argument(
        "--units", type=int, default=1_000_000, help="units in the cs benchmark's panel"
    )
    parser.add_argument(
        "--ab-warehouse",
        type=Path,
        help="time the A/B sides on the experiment-only warehouse in this folder (a point of "
        "the scaling benchmark, e.g. bench/out/scaling/1000000) instead of the full demo; "
        "pandas reads the files written next to it",
    )
    args = parser.parse_args(argv)
    # Readouts are timed as the scans they are: a result kept from the previous repetition
    # (impact.warehouse.results) would time a file read. The pages benchmark sets its own.
    os.environ.setdefault(RESULT_CACHE, "0")
    log = lambda *parts: print(*parts, flush=True)  # noqa: E731
    ok = True
    if args.which in ("all", "ab"):
        from bench.ab import benchmark
        from bench.common import ensure_demo

        if args.ab_warehouse is None:
            ensure_demo(log)
        else:
            from bench.scaling import ensure_size

            ensure_size(int(args.ab_warehouse.name), log, args.ab_warehouse.parent)
        log(f"\nTiming the CUPED readout, {args.repeat} alternating runs per side:")
        ok = benchmark(args.repeat, log, args.ab_warehouse) and ok
    if args.which in ("all", "did"):
        from bench.did import benchmark, ensure_panel

        if args.which == "all":
            log("")
        ensure_panel(log)
        log(f"\nTiming TWFE with unit-clustered errors, {args.repeat} alternating runs per side:")
        ok = benchmark(args.repeat, log) and ok
    if args.which in ("all", "cs"):
        from bench.did_cs import benchmark, ensure_panel

        if args.which == "all":
            log("")
        ensure_panel(args.units, log)
        log(f"\nTiming Callaway & Sant'Anna, {args.repeat} alternating runs per side:")
        ok = benchmark(args.repeat, log) and ok
    if args.which in ("all", "pages"):
        from bench.common import ensure_demo
        from bench.pages import bench_env, benchmark

        if args.which == "all":
            log("")
        ensure_demo(log)
        log("\nTiming every page and widget change, cold and warm (AppTest, then Chromium):")
        ok = benchmark(bench_env(), log) and ok
    if args.which in ("all", "ingest"):
        from bench.ingest import benchmark

        log(f"\nTiming ingest of {args.rows:,} predictions, {args.repeat} alternating runs:")
        ok = benchmark(args.rows, args.repeat, log) and ok
    if args.which in ("all", "scaling"):
        from bench.scaling import benchmark

        sizes = [int(s) for s in args.sizes.split(",")]
        log(f"\nTiming the CUPED readout at {len(sizes)} sizes, {args.repeat} runs each:")
        ok = benchmark(sizes, args.repeat, log) and ok
    if args.which == "spark":
        from bench.common import ensure_demo
        from bench.spark import benchmark

        ensure_demo(log)
        log(f"\nTiming the readout on DuckDB and Spark, {args.repeat} alternating runs per side:")
        ok = benchmark(args.repeat, log) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
