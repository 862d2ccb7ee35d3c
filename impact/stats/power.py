"""Power: the smallest effect the current sample can detect, and the sample a target needs.

Two-sided tests through statsmodels.stats.power: TTestIndPower for the t-based readouts
(Welch, proportions, CUPED; the normal approximation needs about 1 unit fewer per arm at
these sizes) and NormalIndPower for the normal ones (ratio metrics). `sd` is the per-unit
standard deviation of the quantity the readout tests — for a ratio its linearisation, for
CUPED the adjusted outcome, for a relative lift the lift's — so that
se = sd · sqrt(1/n_control + 1/n_treatment); `per_unit_sd` recovers it from an estimate.
Always-valid readouts detect an effect once the confidence sequence leaves 0: the MDE is
the sequence's half-width plus z_power standard errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from scipy.optimize import brentq
from statsmodels.stats.power import NormalIndPower, TTestIndPower

from impact.errors import NotEstimable
from impact.stats.sequential import half_width


@dataclass(frozen=True)
class SampleSize:
    per_arm: int  # units in the control arm (the reference arm)
    total: int
    days: float | None  # at the observed daily enrolment rate


def per_unit_sd(se: float, n_control: int, n_treatment: int) -> float:
    """The per-unit standard deviation behind a two-arm standard error."""
    return se / math.sqrt(1 / n_control + 1 / n_treatment)


def _solver(normal: bool) -> TTestIndPower | NormalIndPower:
    return NormalIndPower() if normal else TTestIndPower()


def minimum_detectable_effect(
    sd: float,
    n_control: int,
    n_treatment: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    normal: bool = False,
    tuning_n: float | None = None,
) -> float:
    """Smallest absolute difference detected with `power` at the current sample;
    `tuning_n` set: by an always-valid (confidence sequence) readout."""
    if sd <= 0:
        raise NotEstimable("The metric does not vary, so power cannot be computed.")
    if min(n_control, n_treatment) < 2:
        raise NotEstimable("Each arm needs at least 2 units to compute power.")
    if tuning_n is not None:
        se = sd * math.sqrt(1 / n_control + 1 / n_treatment)
        width = half_width(se, n_control + n_treatment, alpha, tuning_n)
        return width + float(sps.norm.ppf(power)) * se
    d = _solver(normal).solve_power(
        effect_size=None,
        nobs1=n_control,
        alpha=alpha,
        power=power,
        ratio=n_treatment / n_control,
        alternative="two-sided",
    )
    return _scalar(d) * sd


def sample_size(
    sd: float,
    effect: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    arms: int = 2,
    units_per_day: float | None = None,
    normal: bool = False,
    tuning_n: float | None = None,
) -> SampleSize:
    """Units needed to detect an absolute `effect`; `ratio` = n_treatment / n_control.

    `arms` counts every arm of the experiment (each treatment arm as large as
    ratio × control), so a three-arm test's total includes all three.
    """
    if sd <= 0 or effect == 0:
        raise NotEstimable("Sample size needs a varying metric and a non-zero target effect.")
    if tuning_n is not None:

        def short(n1: float) -> float:
            m = max(int(n1), 2)
            mde = minimum_detectable_effect(
                sd, m, max(round(m * ratio), 2), alpha=alpha, power=power, tuning_n=tuning_n
            )
            return mde - abs(effect)

        if short(1e12) > 0:
            raise NotEstimable("The target effect is too small to detect with any sample.")
        n1 = 2 if short(2) <= 0 else brentq(short, 2, 1e12, xtol=0.5)
    else:
        n1 = _solver(normal).solve_power(
            effect_size=abs(effect) / sd,
            nobs1=None,
            alpha=alpha,
            power=power,
            ratio=ratio,
            alternative="two-sided",
        )
    per_arm = math.ceil(_scalar(n1))
    total = per_arm + (arms - 1) * math.ceil(per_arm * ratio)
    days = total / units_per_day if units_per_day else None
    return SampleSize(per_arm, total, days)


def _scalar(value) -> float:
    """statsmodels' solve_power returns a 1-element array when its first root finder fails
    and a fallback answers (seen at alpha 0.1, n 222, ratio 0.89)."""
    return float(np.asarray(value, dtype=float).reshape(-1)[0])
