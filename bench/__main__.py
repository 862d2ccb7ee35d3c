"""`python -m bench`: build (or reuse) the 10M-prediction demo, then time the A/B readout."""

from __future__ import annotations

import argparse
import sys

from bench.ab import benchmark
from bench.common import ensure_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per side")
    args = parser.parse_args(argv)
    log = lambda *parts: print(*parts, flush=True)  # noqa: E731
    ensure_demo(log)
    log(f"\nTiming the CUPED readout, {args.repeat} alternating runs per side:")
    return 0 if benchmark(args.repeat, log) else 1


if __name__ == "__main__":
    sys.exit(main())
