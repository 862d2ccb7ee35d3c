"""Always-valid intervals for experiments looked at while they run.

Asymptotic confidence sequences (Waudby-Smith et al., "Time-uniform central limit theory
and asymptotic confidence sequences", arXiv 2103.06476, eq. 9): with N observations and
per-observation standard deviation σ̂,
    half-width = σ̂ · sqrt( 2(Nρ² + 1) / (N²ρ²) · log( sqrt(Nρ² + 1) / α ) ),
where ρ is tuned so the sequence is tightest at N = tuning_n:
    ρ² = (−2 log α + log(−2 log α + 1)) / tuning_n.
For a difference of two arms, σ̂² = N · Var(estimate), N = n_control + n_treatment.
"""

from __future__ import annotations

import math
from dataclasses import replace

from scipy.optimize import brentq

from impact.options import DEFAULT_TUNING_N
from impact.stats.estimate import Estimate


def rho_squared(alpha: float, tuning_n: float) -> float:
    log_term = -2 * math.log(alpha)
    return (log_term + math.log(log_term + 1)) / tuning_n


def half_width(se: float, n: int, alpha: float, tuning_n: float = DEFAULT_TUNING_N) -> float:
    sigma = se * math.sqrt(n)
    r2 = rho_squared(alpha, tuning_n)
    return sigma * math.sqrt(
        2 * (n * r2 + 1) / (n**2 * r2) * math.log(math.sqrt(n * r2 + 1) / alpha)
    )


def always_valid(estimate: Estimate, tuning_n: float = DEFAULT_TUNING_N) -> Estimate:
    """Replace the fixed-sample interval and p-value by always-valid ones."""
    n = sum(estimate.n.values())
    width = half_width(estimate.se, n, estimate.alpha, tuning_n)
    return replace(
        estimate,
        ci_low=estimate.effect - width,
        ci_high=estimate.effect + width,
        p_value=_always_valid_p(estimate, n, tuning_n),
        method=f"{estimate.method}; always-valid (confidence sequence, ρ tuned at {tuning_n:,.0f})",
    )


def _always_valid_p(estimate: Estimate, n: int, tuning_n: float) -> float:
    """Smallest α whose confidence sequence excludes 0."""
    gap = abs(estimate.effect)
    if estimate.se == 0:
        return 0.0 if gap > 0 else 1.0

    def excess(alpha: float) -> float:
        return half_width(estimate.se, n, alpha, tuning_n) - gap

    if excess(1.0 - 1e-12) > 0:
        return 1.0
    if excess(1e-300) < 0:
        return 0.0
    return float(brentq(excess, 1e-300, 1.0 - 1e-12, xtol=1e-15))
