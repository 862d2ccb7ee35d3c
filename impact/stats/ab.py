"""Two-arm comparisons on sufficient statistics: means, proportions, ratios, CUPED.

Every function is pure: summaries in, Estimate out. Intervals use Student's t with
Welch–Satterthwaite degrees of freedom (means, proportions, CUPED) or the normal
distribution (ratio metrics, whose delta-method variance is only asymptotic anyway).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from impact.errors import NotEstimable
from impact.stats.estimate import Estimate
from impact.stats.summary import PairedStats, SampleStats


@dataclass(frozen=True)
class _Moments:
    """Mean and variance-of-the-mean of one arm's estimator."""

    mean: float
    var_of_mean: float  # Var(mean) = s² / n
    n: int


def mean_difference(
    control: SampleStats,
    treatment: SampleStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    **fields: Any,
) -> Estimate:
    """Welch t-test for a difference (or relative lift) in means."""
    _check_arms(control.n, treatment.n)
    c = _Moments(control.mean, control.variance / control.n, control.n)
    t = _Moments(treatment.mean, treatment.variance / treatment.n, treatment.n)
    return _compare(c, t, relative=relative, alpha=alpha, method="Welch t-test", **fields)


def proportion_difference(
    control: SampleStats,
    treatment: SampleStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    **fields: Any,
) -> Estimate:
    """Binary metric: variance p(1 − p) per arm, t quantile with Welch df."""
    _check_arms(control.n, treatment.n)
    for arm in (control, treatment):
        if arm.sum_squares != arm.sum:
            raise NotEstimable("A proportion metric needs 0/1 values; use the mean test.")
    c = _Moments(control.mean, _bernoulli(control) / control.n, control.n)
    t = _Moments(treatment.mean, _bernoulli(treatment) / treatment.n, treatment.n)
    return _compare(
        c,
        t,
        relative=relative,
        alpha=alpha,
        method="difference in proportions",
        **fields,
    )


def ratio_difference(
    control: PairedStats,
    treatment: PairedStats,
    *,
    relative: bool = False,
    alpha: float = 0.05,
    **fields: Any,
) -> Estimate:
    """Σnum/Σden per arm (y the numerator, x the denominator), delta method with the
    numerator–denominator covariance."""
    _check_arms(control.n, treatment.n)
    c, t = _ratio_moments(control), _ratio_moments(treatment)
    return _compare(
        c,
        t,
        relative=relative,
        alpha=alpha,
        method="ratio (delta method)",
        normal=True,
        **fields,
    )


def pooled_theta(arms: list[PairedStats]) -> float:
    """CUPED slope: Σ_arms Σ(x − x̄_arm)(y − ȳ_arm) / Σ_arms Σ(x − x̄_arm)²."""
    sxx = sum(a.x.centred_squares for a in arms)
    if sxx <= 0:
        raise NotEstimable("The pre-period covariate does not vary; CUPED cannot use it.")
    return sum(a.centred_cross for a in arms) / sxx


def cuped_difference(
    control: PairedStats,
    treatment: PairedStats,
    *,
    theta: float | None = None,
    relative: bool = False,
    alpha: float = 0.05,
    **fields: Any,
) -> Estimate:
    """Regression-adjusted difference: y_adj = y − θ(x − x̄).

    With θ pooled over the arms given to `pooled_theta`, the effect equals the arm
    coefficient of OLS y ~ arm + x on those arms' rows. The variance of each adjusted mean
    is the within-arm residual variance s²(y − θx) / n (θ treated as known), which
    matches OLS with HC-robust errors up to terms of order 1/n.
    """
    _check_arms(control.n, treatment.n)
    if theta is None:
        theta = pooled_theta([control, treatment])
    x_bar = (control.x.sum + treatment.x.sum) / (control.n + treatment.n)
    arms = [_adjusted(a, theta, x_bar) for a in (control, treatment)]
    estimate = _compare(
        *arms,
        relative=relative,
        alpha=alpha,
        method="CUPED (regression adjustment)",
        **fields,
    )
    unadjusted = sum(a.y.variance / a.n for a in (control, treatment))
    adjusted = sum(a.var_of_mean for a in arms)
    reduction = 1 - adjusted / unadjusted if unadjusted > 0 else 0.0
    return replace(
        estimate,
        details={
            **estimate.details,
            "theta": theta,
            "variance_reduction": reduction,
            "unadjusted_effect": treatment.y.mean - control.y.mean,
        },
    )


def _adjusted(arm: PairedStats, theta: float, x_bar: float) -> _Moments:
    if arm.n < 2:
        raise NotEstimable(f"An arm has {arm.n} unit(s); a variance needs at least 2.")
    residual = (
        arm.y.centred_squares - 2 * theta * arm.centred_cross + theta**2 * arm.x.centred_squares
    ) / (arm.n - 1)
    mean = arm.y.mean - theta * (arm.x.mean - x_bar)
    return _Moments(mean, max(residual, 0.0) / arm.n, arm.n)


def _ratio_moments(arm: PairedStats) -> _Moments:
    d_bar = arm.x.sum / arm.n
    if d_bar == 0:
        raise NotEstimable("The ratio's denominator sums to 0 in an arm; the ratio is undefined.")
    n_bar = arm.y.sum / arm.n
    var = (
        arm.y.variance / d_bar**2
        - 2 * n_bar * arm.covariance / d_bar**3
        + n_bar**2 * arm.x.variance / d_bar**4
    ) / arm.n
    return _Moments(n_bar / d_bar, max(var, 0.0), arm.n)


def _bernoulli(arm: SampleStats) -> float:
    p = arm.mean
    return p * (1 - p)


def _check_arms(n_control: int, n_treatment: int) -> None:
    for name, n in (("control", n_control), ("treatment", n_treatment)):
        if n == 0:
            raise NotEstimable(f"The {name} arm has no units yet; nothing to compare.")
        if n == 1:
            raise NotEstimable(f"The {name} arm has only 1 unit; at least 2 are needed.")


def _compare(
    c: _Moments,
    t: _Moments,
    *,
    relative: bool,
    alpha: float,
    method: str,
    normal: bool = False,
    **fields: Any,
) -> Estimate:
    if c.var_of_mean + t.var_of_mean <= 0:
        raise NotEstimable(
            "The metric has the same value for every unit in both arms; "
            "there is no variation to test."
        )
    if relative:
        if c.mean == 0:
            raise NotEstimable(
                "The control mean is 0, so a relative lift is undefined; "
                "use the absolute difference."
            )
        effect = t.mean / c.mean - 1
        # Delta method: Var(r) ≈ Var(m_t)/m_c² + m_t² Var(m_c)/m_c⁴
        var = t.var_of_mean / c.mean**2 + t.mean**2 * c.var_of_mean / c.mean**4
    else:
        effect = t.mean - c.mean
        var = t.var_of_mean + c.var_of_mean
    return Estimate.from_se(
        effect,
        math.sqrt(var),
        df=None if normal else _welch_df(c, t),
        alpha=alpha,
        n={"control": c.n, "treatment": t.n},
        method=method + (", relative lift" if relative else ""),
        relative=relative,
        baseline=c.mean,
        details={"treatment_mean": t.mean},
        **fields,
    )


def _welch_df(c: _Moments, t: _Moments) -> float:
    a, b = t.var_of_mean, c.var_of_mean
    denominator = (a**2 / (t.n - 1) if t.n > 1 else 0) + (b**2 / (c.n - 1) if c.n > 1 else 0)
    return (a + b) ** 2 / denominator if denominator > 0 else float(c.n + t.n - 2)
