"""Two-arm comparisons on sufficient statistics: means, proportions, ratios, CUPED.

Every function is pure: summaries in, Estimate out. Intervals use Student's t with
Welch–Satterthwaite degrees of freedom (means, proportions, CUPED) or the normal
distribution (ratio metrics, whose delta-method variance is only asymptotic anyway).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    others: Sequence[PairedStats] = (),
    relative: bool = False,
    alpha: float = 0.05,
    **fields: Any,
) -> Estimate:
    """Regression-adjusted difference: y_adj = y − θ(x − x̄).

    θ (the pooled within-arm slope) and x̄ (the pooled covariate mean) both come from the
    same arms: control, treatment and `others` (the experiment's other arms). The effect
    then equals the arm coefficient of OLS y ~ arm + x on those arms' rows, and the
    adjusted control mean its intercept with x centred on them. The variance of each
    adjusted mean is the within-arm residual variance s²(y − θx) / n (θ treated as known),
    which matches OLS with HC-robust errors up to terms of order 1/n. A relative lift
    divides by the adjusted control mean, which shares x̄ with the treatment's: its
    variance is the full delta method over every pooled arm's ȳ and x̄.
    """
    _check_arms(control.n, treatment.n)
    pool = [control, treatment, *others]
    theta = pooled_theta(pool)
    x_bar = sum(a.x.sum for a in pool) / sum(a.n for a in pool)
    arms = [_adjusted(a, theta, x_bar) for a in (control, treatment)]
    estimate = _compare(
        *arms,
        relative=relative,
        alpha=alpha,
        method="CUPED (regression adjustment)",
        relative_var=_relative_cuped_variance(pool, arms, theta) if relative else None,
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


def _relative_cuped_variance(pool: list[PairedStats], arms: list[_Moments], theta: float) -> float:
    """Delta method for r = A_t/A_c − 1, A_a = ȳ_a − θ(x̄_a − Σ_b w_b x̄_b), w_b = n_b/N, over
    the independent (ȳ_b, x̄_b) of every pooled arm b (pool[0] control, pool[1] treatment)."""
    a_c, a_t = arms[0].mean, arms[1].mean
    if a_c == 0:
        return float("nan")  # _compare refuses a zero control mean with its own message
    total = sum(a.n for a in pool)
    shared = theta * (a_c - a_t) / a_c**2  # ∂r/∂x̄_b per unit of w_b
    var = 0.0
    for i, arm in enumerate(pool):
        own_y = (1 / a_c, -a_t / a_c**2)  # ∂r/∂A_t, ∂r/∂A_c
        d_y = own_y[0] if i == 1 else own_y[1] if i == 0 else 0.0
        d_x = shared * arm.n / total - theta * d_y
        var += (
            d_y**2 * arm.y.variance + 2 * d_y * d_x * arm.covariance + d_x**2 * arm.x.variance
        ) / arm.n
    return max(var, 0.0)


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
    relative_var: float | None = None,  # when the two means are not independent
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
        if relative_var is not None:
            var = relative_var
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
