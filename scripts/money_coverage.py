"""Coverage of the money interval when the effect and the yearly volume are both uncertain:
the interval Impact chooses against the delta method alone (issue 11, item 9; figures for
the closing note). Usage: python scripts/money_coverage.py [replications]"""

from __future__ import annotations

import math
import sys

import numpy as np

from impact.stats.estimate import Estimate
from impact.value import money


def coverage(cv_effect: float, cv_volume: float, reps: int, *, delta_only: bool) -> float:
    limit, money.CV_LIMIT = money.CV_LIMIT, (math.inf if delta_only else money.CV_LIMIT)
    money.SIMULATION_DRAWS = 50_000
    rate = money.money_rate(
        direction="higher",
        value_kind="revenue",
        unit="currency",
        value_per_unit=1.0,
        rate=None,
        currency="USD",
    )
    rng = np.random.default_rng(2026)
    covered = 0
    for _ in range(reps):
        e_hat = rng.normal(2.0, 2.0 * cv_effect)
        v_hat = rng.normal(1e5, 1e5 * cv_volume)
        effect = Estimate.from_se(e_hat, 2.0 * cv_effect, n={}, method="m")
        year = money.annual_value(effect, rate, v_hat, 1e5 * cv_volume)
        covered += year.ci_low <= 2e5 <= year.ci_high
    money.CV_LIMIT = limit
    return covered / reps


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    print(f"{'CV effect':>9} {'CV volume':>9} {'Impact':>7} {'delta only':>10}  ({reps} reps)")
    for cvs in [(0.1, 0.1), (0.25, 0.25), (0.3, 0.3), (0.5, 0.5), (0.5, 0.1), (0.1, 0.5)]:
        ours = coverage(*cvs, reps, delta_only=False)
        delta = coverage(*cvs, reps, delta_only=True)
        print(f"{cvs[0]:>9} {cvs[1]:>9} {ours:>7.3f} {delta:>10.3f}")
