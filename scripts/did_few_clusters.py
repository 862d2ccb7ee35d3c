"""False-positive rates with 8 clusters under a true null: the wild cluster bootstrap alone,
CR1 with t(G − 1) alone, and the readout's rule, the more cautious of the two (issue 11,
item 6; figures for the closing note and impact.analysis.did._bootstrapped).
Usage: python scripts/did_few_clusters.py [panels]"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from test_did_boot_few import _bootstrap, _cr1, _panel, _sums  # noqa: E402

from impact.stats.did.boot import more_cautious  # noqa: E402

if __name__ == "__main__":
    sims = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"8 clusters of 3 units, 5 periods, {sims} null panels per row; rejection at 0.05")
    print(f"{'treated':>7} {'bootstrap':>9} {'CR1 t(7)':>8} {'cautious':>8}")
    for treated in (4, 3, 2):
        rng = np.random.default_rng(2026 + treated)
        starts = {c: (2 + c % 2 if c < treated else None) for c in range(8)}
        boot_r = cr1_r = both = 0
        for _ in range(sims):
            sums = _sums(_panel(rng, clusters=8, per_cluster=3, starts=starts), 8)
            p_cr1, ci = _cr1(sums, 8)
            boot = _bootstrap(sums, reps=999)
            p = more_cautious(p_cr1, ci, boot)[0]
            boot_r += boot.p_value < 0.05
            cr1_r += p_cr1 < 0.05
            both += p < 0.05
        print(f"{treated:>7} {boot_r / sims:>9.4f} {cr1_r / sims:>8.4f} {both / sims:>8.4f}")
