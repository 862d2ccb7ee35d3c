"""`python -m bench [ab|did|cs]`: time Impact against the analyst's usual path.

- ab: build (or reuse) the 10M-prediction demo, then time the CUPED readout against
  pandas + statsmodels;
- did: build (or reuse) a 1,000,000-unit × 20-week rollout panel, then time TWFE with
  unit-clustered errors against pyfixest (`pip install -e .[bench]`);
- cs: take the first --units units of that panel (all 1,000,000 by default), then time
  Callaway & Sant'Anna's simple ATT against csdid (also in the `bench` extra).
- spark: the ab readout on DuckDB and on Spark local[1] and local[2] (the `spark` extra;
  Java 17), same numbers, Spark's cost on one machine.
With no argument ab, did and cs run. The exit status is non-zero when any target is missed.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "which",
        nargs="?",
        choices=("all", "ab", "did", "cs", "spark"),
        default="all",
        help="what to time",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per side")
    parser.add_argument(
        "--units", type=int, default=1_000_000, help="units in the cs benchmark's panel"
    )
    args = parser.parse_args(argv)
    log = lambda *parts: print(*parts, flush=True)  # noqa: E731
    ok = True
    if args.which in ("all", "ab"):
        from bench.ab import benchmark
        from bench.common import ensure_demo

        ensure_demo(log)
        log(f"\nTiming the CUPED readout, {args.repeat} alternating runs per side:")
        ok = benchmark(args.repeat, log) and ok
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
    if args.which == "spark":
        from bench.common import ensure_demo
        from bench.spark import benchmark

        ensure_demo(log)
        log(f"\nTiming the readout on DuckDB and Spark, {args.repeat} alternating runs per side:")
        ok = benchmark(args.repeat, log) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
