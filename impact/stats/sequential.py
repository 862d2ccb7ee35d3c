"""Always-valid intervals and p-values for experiments looked at while they run.

Asymptotic confidence sequences (Waudby-Smith et al., "Time-uniform central limit theory
and asymptotic confidence sequences", arXiv 2103.06476, eq. 9): with N observations and
per-observation standard deviation σ̂,
    half-width = σ̂ · sqrt( 2(Nρ² + 1) / (N²ρ²) · log( sqrt(Nρ² + 1) / α ) ),
where ρ is tuned so the sequence is tightest at N = tuning_n:
    ρ² = (−2 log α + log(−2 log α + 1)) / tuning_n.
For a difference of two arms, σ̂² = N · Var(estimate), N = n_control + n_treatment.

The p-value is the smallest level whose sequence (same ρ) excludes the null value: the
normal-mixture SPRT p-value 1/Λ (Johari et al., "Always valid inference", 2017),
    p = min(1, sqrt(Nρ² + 1) · exp(−z² Nρ² / (2(Nρ² + 1)))),  z = gap / se,
so p < α exactly when the interval excludes it.
"""

from __future__ import annotations

import math
from dataclasses import replace

from impact.options import DEFAULT_TUNING_N
from impact.stats.estimate import Estimate

SEQUENTIAL_TUNING = "always_valid_tuning_n"  # details key: the estimate is always-valid


def rho_squared(alpha: float, tuning_n: float) -> float:
    log_term = -2 * math.log(alpha)
    return (log_term + math.log(log_term + 1)) / tuning_n


def half_width(
    se: float,
    n: int,
    alpha: float,
    tuning_n: float = DEFAULT_TUNING_N,
    *,
    level: float | None = None,
) -> float:
    """Half-width of the sequence with ρ tuned for `alpha`, at `level` (default: alpha)."""
    sigma = se * math.sqrt(n)
    r2 = rho_squared(alpha, tuning_n)
    level = alpha if level is None else level
    return sigma * math.sqrt(
        2 * (n * r2 + 1) / (n**2 * r2) * math.log(math.sqrt(n * r2 + 1) / level)
    )


def always_valid(estimate: Estimate, tuning_n: float = DEFAULT_TUNING_N) -> Estimate:
    """Replace the fixed-sample interval and p-value by always-valid ones."""
    n = sum(estimate.n.values())
    width = half_width(estimate.se, n, estimate.alpha, tuning_n)
    return replace(
        estimate,
        ci_low=estimate.effect - width,
        ci_high=estimate.effect + width,
        p_value=always_valid_p(abs(estimate.effect), estimate, tuning_n),
        # a correction re-draws the same sequence (ρ kept) at its own level
        details={**estimate.details, SEQUENTIAL_TUNING: tuning_n},
        method=f"{estimate.method}; always-valid (confidence sequence, ρ tuned at {tuning_n:,.0f})",
    )


def always_valid_p(gap: float, estimate: Estimate, tuning_n: float = DEFAULT_TUNING_N) -> float:
    """Smallest level whose sequence around the effect leaves out a value `gap` away
    (on one side: a guardrail passes it to test its tolerated bound)."""
    if gap <= 0:
        return 1.0
    if estimate.se == 0:
        return 0.0
    n = sum(estimate.n.values())
    r2n = rho_squared(estimate.alpha, tuning_n) * n
    z = gap / estimate.se
    log_p = 0.5 * math.log(r2n + 1) - z**2 * r2n / (2 * (r2n + 1))
    return min(1.0, math.exp(log_p))
