"""The larger runs behind issue 11's in-suite simulations, with the suite's own helpers:
relative CUPED coverage (item 1), power at the MDE for a ratio metric (item 2) and peeking
at always-valid p-values under A/A (item 5). Figures for the closing note.
Usage: python scripts/issue11_runs.py"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from test_stats_cuped_relative import coverage  # noqa: E402
from test_stats_power import _clicks, _paired, _ratio_readout  # noqa: E402

from impact.options import ReadoutOptions  # noqa: E402
from impact.stats.ab import ratio_difference  # noqa: E402
from impact.stats.estimate import Estimate  # noqa: E402
from impact.stats.sequential import always_valid  # noqa: E402


def cuped_cells(draws: int = 3000) -> None:
    print(f"relative CUPED coverage, n = 2,000 per arm, {draws:,} draws per cell")
    for kind in ("additive", "multiplicative"):
        for rho in (0.9, 0.99):
            cells = []
            for lift in (0.05, 0.30, 1.00):
                rng = np.random.default_rng([int(rho * 1000), int(lift * 100), 7])
                cells.append(f"lift {lift:.0%}: {coverage(rng, draws, 2000, rho, lift, kind):.3f}")
            print(f"  {kind:<14} rho {rho}: " + ", ".join(cells))


def ratio_power(reps: int = 2000) -> None:
    rng = np.random.default_rng(12)
    n = 2000
    for power in (0.8, 0.5):
        options = ReadoutOptions(power=power)
        mde = _ratio_readout(_clicks(rng, n, 0.05), _clicks(rng, n, 0.054), options).power[0].mde
        cy, cx = _clicks(rng, n, 0.05, reps)
        ty, tx = _clicks(rng, n, 0.05 + mde, reps)
        hits = np.mean(
            [
                ratio_difference(_paired(cy[i], cx[i]), _paired(ty[i], tx[i])).significant
                for i in range(reps)
            ]
        )
        print(f"ratio metric at its MDE ({reps:,} runs): power {power:.0%} asked, {hits:.3f} got")


def peeking(reps: int = 2000, looks: int = 20, per_look: int = 50) -> None:
    rng = np.random.default_rng(22)
    c = rng.normal(0, 1, (reps, looks * per_look))
    t = rng.normal(0, 1, (reps, looks * per_look))
    fixed, valid = np.zeros(reps, bool), np.zeros(reps, bool)
    for look in range(1, looks + 1):
        n = look * per_look
        effect = t[:, :n].mean(1) - c[:, :n].mean(1)
        se = np.sqrt((c[:, :n].var(1, ddof=1) + t[:, :n].var(1, ddof=1)) / n)
        for i in range(reps):
            e = Estimate.from_se(effect[i], se[i], n={"control": n, "treatment": n}, method="z")
            fixed[i] |= e.p_value < 0.05
            valid[i] |= always_valid(e, 1_000).p_value < 0.05
    print(
        f"A/A, {reps:,} experiments looked at {looks} times: any fixed-horizon p < 0.05 in "
        f"{fixed.mean():.3f}, any always-valid p < 0.05 in {valid.mean():.3f}"
    )


if __name__ == "__main__":
    cuped_cells()
    ratio_power()
    peeking()
