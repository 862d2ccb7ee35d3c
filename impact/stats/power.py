"""Power: the smallest effect the current sample can detect, and the sample a target needs.

Two-sided tests through statsmodels.stats.power.TTestIndPower (the t test matches the
Welch test the readout runs; the normal approximation needs about 1 unit fewer per arm at
these sizes), with the metric's observed standard deviation turning absolute effects into
standardised ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.power import TTestIndPower

from impact.errors import NotEstimable


@dataclass(frozen=True)
class SampleSize:
    per_arm: int  # units in the control arm (the reference arm)
    total: int
    days: float | None  # at the observed daily enrolment rate


def minimum_detectable_effect(
    sd: float, n_control: int, n_treatment: int, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest absolute difference detected with `power` at the current sample."""
    if sd <= 0:
        raise NotEstimable("The metric does not vary, so power cannot be computed.")
    if min(n_control, n_treatment) < 2:
        raise NotEstimable("Each arm needs at least 2 units to compute power.")
    d = TTestIndPower().solve_power(
        effect_size=None,
        nobs1=n_control,
        alpha=alpha,
        power=power,
        ratio=n_treatment / n_control,
        alternative="two-sided",
    )
    return float(d) * sd


def sample_size(
    sd: float,
    effect: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    arms: int = 2,
    units_per_day: float | None = None,
) -> SampleSize:
    """Units needed to detect an absolute `effect`; `ratio` = n_treatment / n_control.

    `arms` counts every arm of the experiment (each treatment arm as large as
    ratio × control), so a three-arm test's total includes all three.
    """
    if sd <= 0 or effect == 0:
        raise NotEstimable("Sample size needs a varying metric and a non-zero target effect.")
    n1 = TTestIndPower().solve_power(
        effect_size=abs(effect) / sd,
        nobs1=None,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative="two-sided",
    )
    per_arm = math.ceil(float(n1))
    total = per_arm + (arms - 1) * math.ceil(per_arm * ratio)
    days = total / units_per_day if units_per_day else None
    return SampleSize(per_arm, total, days)
