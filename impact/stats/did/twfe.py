"""Two-way fixed effects and the 2×2, on moments the warehouse computes from the panel.

Two-way fixed effects by the within transformation: with ÿ and D̈ the outcome and the
treatment indicator after removing unit and period means, τ = ΣD̈ÿ / ΣD̈², the same τ as
OLS with unit and period dummies. Cluster-robust (CR1) variance over clusters g (units, or
groups of whole units such as regions) uses the cluster scores
s_g = Σ_(i,t)∈g D̈(ÿ − τD̈) = a_g − τ b_g with a_g = Σ D̈ÿ and b_g = Σ D̈² over the cluster's
cells, so the warehouse only returns Σa², Σab, Σb²:
    V = Σ_g s_g² / (ΣD̈²)² · G/(G − 1) · (N − 1)/(N − K).
K, the parameters counted in the small-sample factor, follows one of two conventions:
- "fixest" (pyfixest 0.60's default, k_fixef="nonnested"; fixest's fixef.K = "nested"): unit
  effects are nested in the clusters (units sit whole in one cluster) and not counted; the
  T period effects and the slope are, so K = T + 1 (SEs equal pyfixest's, tests pin them);
- "statsmodels" (OLS with every dummy): K = 1 + (U − 1) + (T − 1) + 1 = U + T for U units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from impact.errors import NotEstimable
from impact.stats.did.inference import cr1_factor
from impact.stats.estimate import Caveat, Estimate
from impact.vocabulary import KConvention, check_choice

FEW_CLUSTERS = 30  # below this, cluster-robust intervals are too narrow


@dataclass(frozen=True)
class WithinMoments:
    sxy: float  # Σ D̈ ÿ
    sxx: float  # Σ D̈²
    score_aa: float  # Σ_g a_g²
    score_ab: float  # Σ_g a_g b_g
    score_bb: float  # Σ_g b_g²
    observations: int
    clusters: int
    periods: int
    treated_units: int
    units: int
    balanced: bool = True  # every unit has every period (the wild bootstrap needs it)


def _few_clusters(g: int, cluster: str, advice: str = "") -> list[Caveat]:
    if g >= FEW_CLUSTERS:
        return []
    message = (
        f"Only {g} clusters ({cluster}s): cluster-robust intervals are unreliable below "
        f"about {FEW_CLUSTERS}{advice}."
    )
    return [Caveat("few_clusters", message)]


def twfe(
    m: WithinMoments,
    *,
    alpha: float = 0.05,
    k: KConvention = "fixest",
    label: str = "",
    metric: str = "",
    cluster: str = "unit",
) -> Estimate:
    check_choice("k", k, KConvention)
    if m.sxx <= 0:
        raise NotEstimable(
            "Treatment does not vary within units and periods (no unit "
            "switches on during the panel, or all do at once); TWFE cannot "
            "separate the effect from the fixed effects."
        )
    tau = m.sxy / m.sxx
    scores = m.score_aa - 2 * tau * m.score_ab + tau**2 * m.score_bb
    params = m.periods + 1 if k == "fixest" else m.units + m.periods
    n, g = m.observations, m.clusters
    factor = cr1_factor(g, n, params, cluster)
    return Estimate.from_se(
        tau,
        math.sqrt(max(scores, 0.0) * factor) / m.sxx,
        df=g - 1,  # fixest's default for clustered errors: t with G − 1 df
        alpha=alpha,
        n={"observations": n, "units": m.units, "clusters": g, "treated_units": m.treated_units},
        method=f"two-way fixed effects (CR1 by {cluster}, K={params}, {k})",
        warnings=tuple(_few_clusters(g, cluster, "; read the wild cluster bootstrap instead")),
        label=label,
        metric=metric,
        clusters=g,
        small_sample_factor=factor,
        details={"k": params},
    )


@dataclass(frozen=True)
class GroupCells:
    """One group's cells before and after adoption."""

    units: int
    n_pre: int  # cells
    n_post: int
    sum_pre: float
    sum_post: float

    def change(self) -> float:
        return self.sum_post / self.n_post - self.sum_pre / self.n_pre


@dataclass(frozen=True)
class ClusterScores:
    """Σ_c s_c² over clusters c of the 2×2 coefficient's scores (see did_2x2)."""

    squares: float
    clusters: int


def did_2x2(
    treated: GroupCells,
    control: GroupCells,
    scores: ClusterScores,
    *,
    alpha: float = 0.05,
    label: str = "",
    metric: str = "",
    cluster: str = "unit",
) -> Estimate:
    """(ȳ_T,post − ȳ_T,pre) − (ȳ_C,post − ȳ_C,pre) over cells, as OLS y ~ treated × post.

    The interaction coefficient is Σ c_it y_it with c = ±1/n_cell-group, so with residuals
    e_it from the four cell-group means and cluster scores s_c = Σ_(i,t)∈c c_it e_it its CR1
    variance is Σ_c s_c² · G/(G − 1) · (N − 1)/(N − 4), K = 4 (statsmodels).
    """
    for name, group in (("treated", treated), ("control", control)):
        if group.n_pre == 0 or group.n_post == 0:
            raise NotEstimable(
                f"The {name} group has no cells {'before' if not group.n_pre else 'after'} "
                "adoption."
            )
    units, g = treated.units + control.units, scores.clusters
    if g < 3:
        raise NotEstimable(f"A clustered 2×2 needs at least 3 clusters ({cluster}s).")
    n = treated.n_pre + treated.n_post + control.n_pre + control.n_post
    factor = cr1_factor(g, n, 4, cluster)
    return Estimate.from_se(
        treated.change() - control.change(),
        math.sqrt(max(scores.squares, 0.0) * factor),
        df=g - 1,
        alpha=alpha,
        n={"observations": n, "units": units, "clusters": g, "treated_units": treated.units},
        method=f"2×2 difference-in-differences (CR1 by {cluster}, K=4)",
        warnings=tuple(_few_clusters(g, cluster)),
        label=label,
        metric=metric,
        baseline=treated.sum_pre / treated.n_pre,
        clusters=g,
        small_sample_factor=factor,
        details={"treated_change": treated.change(), "control_change": control.change()},
    )
