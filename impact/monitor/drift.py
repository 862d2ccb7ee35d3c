"""Distribution drift of a score or feature between a reference window and a period.

PSI and Jensen–Shannon distance compare binned shares (deciles of the reference for
numbers, categories for text); Kolmogorov–Smirnov compares the empirical CDFs of numbers;
chi-square tests a text feature's category counts against the reference counts.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

PSI_FLOOR = 1e-4  # empty shares are floored so ln(a/e) stays finite
# Rule of thumb from credit scoring: it has no error rate, so it is shown as such.
PSI_BANDS = ((0.10, "little change"), (0.25, "moderate change"), (math.inf, "significant change"))
PSI_NOTE = "PSI rule of thumb (no error rate): < 0.10 little, 0.10–0.25 moderate, > 0.25 large"


def shares(counts) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    return c / total if total else np.full(len(c), math.nan)


def psi(reference_counts, current_counts, floor: float = PSI_FLOOR) -> float:
    """Σ (a − e) · ln(a / e), e = reference share, a = current share, both floored."""
    e = np.maximum(shares(reference_counts), floor)
    a = np.maximum(shares(current_counts), floor)
    return float(((a - e) * np.log(a / e)).sum())


def psi_label(value: float) -> str:
    if value is None or math.isnan(value):
        return ""
    return next(label for bound, label in PSI_BANDS if value < bound)


def js_distance(reference_counts, current_counts) -> float:
    """Jensen–Shannon distance (square root of the divergence), base 2: 0 same, 1 disjoint.
    scipy's jensenshannon; NaN when either side has no rows."""
    p, q = np.asarray(reference_counts, dtype=float), np.asarray(current_counts, dtype=float)
    if not p.sum() or not q.sum():
        return math.nan
    return float(jensenshannon(p, q, base=2))


def ks_p_value(d: float, n: int, m: int) -> float:
    """Two-sided p-value of the KS statistic D for samples of sizes n and m: Smirnov's
    asymptotic distribution, kstwo.sf(D, round(n·m / (n + m))), which is what
    scipy.stats.ks_2samp(method="asymp") returns (and what "auto" uses above 10,000 rows)."""
    if not n or not m:
        return math.nan
    big, small = sorted((float(n), float(m)), reverse=True)
    return float(stats.kstwo.sf(d, np.round(big * small / (big + small))))


def chi_square(reference_counts, current_counts) -> tuple[float, int, float]:
    """Pearson chi-square test of homogeneity on the 2 × k table (reference, current) ×
    categories; no continuity correction (scipy's chi2_contingency). Categories empty on
    both sides are dropped; NaN when fewer than two remain or a side has no rows.
    Returns (statistic, degrees of freedom, p)."""
    table = np.vstack([reference_counts, current_counts]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return math.nan, 0, math.nan
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), int(result.dof), float(result.pvalue)
