"""Corrections for many comparisons (Holm, and Benjamini–Hochberg through statsmodels),
with intervals that agree.

A corrected comparison is significant when its adjusted p-value p̃ is below α. Its
interval is shown at the level 1 − α·p/p̃ (p the raw p-value), the one level at which the
interval excludes 0 exactly when p̃ < α. For Holm that is α/(m − k + 1) at step k, for
Benjamini–Hochberg α·k/m at rank k (the FDR-adjusted level), except where the
procedure's monotonicity raised p̃ above the step's own value: there the interval widens
just enough to agree with the decision.
"""

from __future__ import annotations

from dataclasses import replace

from statsmodels.stats.multitest import multipletests

from impact.stats.estimate import Estimate
from impact.stats.sequential import SEQUENTIAL_TUNING, half_width
from impact.vocabulary import Correction, check_choice

_METHODS = {"holm": "holm", "bh": "fdr_bh"}
NAMES = {"holm": "Holm (family-wise error)", "bh": "Benjamini–Hochberg (false discovery rate)"}
SHORT_NAMES = {"holm": "Holm", "bh": "Benjamini–Hochberg"}


def correct(estimates: list[Estimate], method: Correction, family: str) -> list[Estimate]:
    """Adjust p-values over the family and set each interval at the level that agrees with
    the adjusted decision; the raw p-value and interval stay in `raw_p_value` and details."""
    check_choice("correction", method, Correction)
    if method == "none" or len(estimates) < 2:
        return estimates
    alpha = estimates[0].alpha
    raw = [e.p_value for e in estimates]
    if method == "holm":
        adjusted = _holm(raw)
    else:
        adjusted = multipletests(raw, alpha=alpha, method=_METHODS[method])[1]
    note = f"{NAMES[method]} over {len(estimates)} comparisons ({family})"
    return [
        _adjusted(e, float(p), alpha / len(estimates), note, SHORT_NAMES[method])
        for e, p in zip(estimates, adjusted, strict=True)
    ]


def _holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, min(1, max_{j ≤ k} (m − j + 1) p_(j)), as
    statsmodels' "holm" gives them (tested against it); computed here because statsmodels
    runs gc.collect() on every Holm call, 0.1–0.3 s each."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted, running = [0.0] * m, 0.0
    for step, i in enumerate(order):
        running = max(running, min(1.0, (m - step) * p_values[i]))
        adjusted[i] = running
    return adjusted


def interval_level(estimate: Estimate) -> float:
    """The confidence level of the estimate's interval (1 − α unless a correction set it)."""
    return estimate.details.get("interval_level", 1 - estimate.alpha)


def _adjusted(e: Estimate, p_adjusted: float, fallback: float, note: str, name: str) -> Estimate:
    # p = 0 (an effect infinitely many standard errors away) gives no ratio: Bonferroni's level.
    level = e.alpha * e.p_value / p_adjusted if p_adjusted > 0 else fallback
    low, high = _interval(e, level)
    return replace(
        e,
        p_value=p_adjusted,
        raw_p_value=e.p_value,
        correction=note,
        ci_low=low,
        ci_high=high,
        details={
            **e.details,
            "interval_level": 1 - level,
            "correction_method": name,
            "raw_ci_low": e.ci_low,
            "raw_ci_high": e.ci_high,
        },
    )


def _interval(e: Estimate, alpha: float) -> tuple[float, float]:
    tuning = e.details.get(SEQUENTIAL_TUNING)
    if tuning is not None:  # the same confidence sequence (ρ tuned for the study's α)
        width = half_width(e.se, sum(e.n.values()), e.alpha, tuning, level=alpha)
    else:
        width = Estimate.critical_value(alpha, e.df) * e.se
    return e.effect - width, e.effect + width
