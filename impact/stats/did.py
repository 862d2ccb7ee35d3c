"""Difference-in-differences on moments the warehouse computes from the unit × period panel.

Two-way fixed effects by the within transformation: with ÿ and D̈ the outcome and the
treatment indicator after removing unit and period means, τ = ΣD̈ÿ / ΣD̈², the same τ as
OLS with unit and period dummies. Cluster-robust (CR1) variance by unit uses the per-unit
scores s_g = Σ_t D̈(ÿ − τD̈) = a_g − τ b_g with a_g = Σ_t D̈ÿ and b_g = Σ_t D̈², so the
warehouse only returns Σa², Σab, Σb²:
    V = Σ_g s_g² / (ΣD̈²)² · G/(G − 1) · (N − 1)/(N − K).
K, the parameters counted in the small-sample factor, follows one of two conventions:
- "fixest" (fixest and pyfixest's default, fixef.K = "nested"): unit effects are nested in
  the unit clusters and not counted, so K = 1 + (T − 1) period effects = T;
- "statsmodels" (OLS with every dummy): K = 1 + (G − 1) + (T − 1) + 1 = G + T.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats as sps

from impact.errors import NotEstimable
from impact.options import check_choice
from impact.stats.estimate import Estimate

KConvention = Literal["fixest", "statsmodels"]


@dataclass(frozen=True)
class WithinMoments:
    sxy: float  # Σ D̈ ÿ
    sxx: float  # Σ D̈²
    score_aa: float  # Σ_g a_g²
    score_ab: float  # Σ_g a_g b_g
    score_bb: float  # Σ_g b_g²
    observations: int
    clusters: int  # units
    periods: int
    treated_units: int


def twfe(
    m: WithinMoments,
    *,
    alpha: float = 0.05,
    k: KConvention = "fixest",
    label: str = "",
    metric: str = "",
) -> Estimate:
    check_choice("k", k, KConvention)
    if m.sxx <= 0:
        raise NotEstimable(
            "Treatment does not vary within units and periods (no unit "
            "switches on during the panel, or all do at once); TWFE cannot "
            "separate the effect from the fixed effects."
        )
    if m.clusters < 2:
        raise NotEstimable("Clustered standard errors need at least 2 units.")
    tau = m.sxy / m.sxx
    scores = m.score_aa - 2 * tau * m.score_ab + tau**2 * m.score_bb
    params = m.periods if k == "fixest" else m.clusters + m.periods
    n, g = m.observations, m.clusters
    factor = g / (g - 1) * (n - 1) / (n - params)
    se = math.sqrt(max(scores, 0.0) * factor) / m.sxx
    dist = sps.t(g - 1)  # fixest's default for clustered errors: t with G − 1 df
    q = dist.ppf(1 - alpha / 2)
    p = float(2 * dist.sf(abs(tau) / se)) if se > 0 else 0.0
    warnings = []
    if g < 30:
        warnings.append(
            f"Only {g} clusters: cluster-robust intervals are unreliable below "
            "about 30; read the wild cluster bootstrap instead."
        )
    return Estimate(
        effect=tau,
        se=se,
        ci_low=tau - q * se,
        ci_high=tau + q * se,
        p_value=p,
        n={"observations": n, "units": g, "treated_units": m.treated_units},
        method=f"two-way fixed effects (CR1 by unit, K={params}, {k})",
        warnings=tuple(warnings),
        label=label,
        metric=metric,
        alpha=alpha,
        df=g - 1,
        details={"small_sample_factor": factor, "k": params},
    )


@dataclass(frozen=True)
class GroupCells:
    """One group's cells before and after adoption, with per-unit residual sums.

    r0_i, r1_i: unit i's sums of (y − ȳ_group,period) over its pre and post cells.
    """

    units: int
    n_pre: int  # cells
    n_post: int
    sum_pre: float
    sum_post: float
    r00: float  # Σ_i r0_i²
    r01: float  # Σ_i r0_i r1_i
    r11: float  # Σ_i r1_i²

    def change(self) -> float:
        return self.sum_post / self.n_post - self.sum_pre / self.n_pre

    def score_squares(self) -> float:
        """Σ_i s_i² with s_i = r1_i / n_post − r0_i / n_pre, unit i's score for the change."""
        a, b = 1 / self.n_post, 1 / self.n_pre
        return a * a * self.r11 - 2 * a * b * self.r01 + b * b * self.r00


def did_2x2(
    treated: GroupCells,
    control: GroupCells,
    *,
    alpha: float = 0.05,
    label: str = "",
    metric: str = "",
) -> Estimate:
    """(ȳ_T,post − ȳ_T,pre) − (ȳ_C,post − ȳ_C,pre) over cells, as OLS y ~ treated × post.

    The interaction coefficient is Σ c_it y_it with c = ±1/n_cell-group, so its CR1
    variance by unit is Σ_i s_i² · G/(G − 1) · (N − 1)/(N − 4), K = 4 (statsmodels).
    """
    for name, g in (("treated", treated), ("control", control)):
        if g.n_pre == 0 or g.n_post == 0:
            raise NotEstimable(
                f"The {name} group has no cells {'before' if not g.n_pre else 'after'} adoption."
            )
    units = treated.units + control.units
    if units < 3:
        raise NotEstimable("A clustered 2×2 needs at least 3 units.")
    tau = treated.change() - control.change()
    n = treated.n_pre + treated.n_post + control.n_pre + control.n_post
    factor = units / (units - 1) * (n - 1) / (n - 4)
    se = math.sqrt(max(treated.score_squares() + control.score_squares(), 0.0) * factor)
    dist = sps.t(units - 1)
    q = dist.ppf(1 - alpha / 2)
    warnings = []
    if units < 30:
        warnings.append(
            f"Only {units} clusters: cluster-robust intervals are unreliable below about 30."
        )
    return Estimate(
        effect=tau,
        se=se,
        ci_low=tau - q * se,
        ci_high=tau + q * se,
        p_value=float(2 * dist.sf(abs(tau) / se)) if se > 0 else 0.0,
        n={"observations": n, "units": units, "treated_units": treated.units},
        method="2×2 difference-in-differences (CR1 by unit, K=4)",
        warnings=tuple(warnings),
        label=label,
        metric=metric,
        alpha=alpha,
        df=units - 1,
        baseline=treated.sum_pre / treated.n_pre,
        details={"treated_change": treated.change(), "control_change": control.change()},
    )
