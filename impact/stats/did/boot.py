"""Wild cluster bootstrap (WCR: restricted null) for a TWFE coefficient.

Cameron, Gelbach & Miller (2008), "Bootstrap-based improvements for inference with clustered
errors", REStat 90(3); MacKinnon & Webb (2017) on few treated clusters. In the within
(FWL) form ÿ = τD̈ + e, imposing τ = τ0 the restricted residual is ü = ÿ − τ0D̈. Clusters
g, h are units or groups of whole units of a balanced panel with U units in all. With
C[g, h] = Σ D̈_it ü_jt over units i ∈ g, j ∈ h and periods t, A_g = Σ D̈_it ü_it over g's
own cells (= C[g, g] when clusters are units), b_g = Σ D̈_it² over them, B = Σ b_g and
weights w_g: τ* − τ0 = Σ_g w_g A_g / B, and cluster g's score after re-projecting y* on
the fixed effects (flipping cluster h moves every period mean by its ü_jt / U) is
s*_g = w_g A_g − Σ_h w_h C[g, h] / U − (τ* − τ0) b_g; t* = (τ* − τ0) / (√(Σ s*² · factor) / B).
p(τ0) = share of |t*| > |t(τ0)| (strictly, as fwildclusterboot and wildboottest); the
interval is {τ0 : p(τ0) > α}, found by bisection with the same weights. With G ≤ 12
clusters all 2^G sign vectors are enumerated.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from impact.errors import NotEstimable
from impact.vocabulary import BootWeights, check_choice

WEBB_BELOW = 12  # clusters: fewer, and Rademacher's 2^G patterns are too coarse
_POINTS = {
    "rademacher": (-1.0, 1.0),
    "webb": tuple(s * math.sqrt(v) for s in (-1, 1) for v in (0.5, 1.0, 1.5)),
}


@dataclass(frozen=True)
class BootstrapResult:
    p_value: float  # never below `resolution`
    ci_low: float
    ci_high: float
    replications: int  # patterns used (all of them when enumerated)
    enumerated: bool
    weights: BootWeights = "rademacher"
    resolution: float = 0.0  # the smallest p the patterns can show
    share: float = 0.0  # the raw share of |t*| > |t| (0 possible), as the packages print

    @property
    def at_resolution(self) -> bool:
        """p is only bounded: no pattern (or none but ± the observed) went beyond |t|."""
        return self.share < self.resolution


def choose_weights(clusters: int) -> BootWeights:
    return "webb" if clusters < WEBB_BELOW else "rademacher"


def _weights(clusters: int, kind: BootWeights, reps: int, seed: int) -> tuple[np.ndarray, bool]:
    points = _POINTS[kind]
    if len(points) ** clusters <= reps:  # enumerating is cheaper than drawing
        return np.array(list(itertools.product(points, repeat=clusters))), True
    rng = np.random.default_rng(seed)
    return rng.choice(points, size=(reps, clusters)), False


def wild_cluster_bootstrap(
    cy: np.ndarray,
    cd: np.ndarray,
    factor: float,
    *,
    own_y: np.ndarray | None = None,
    own_d: np.ndarray | None = None,
    units: int | None = None,
    alpha: float = 0.05,
    reps: int = 9999,
    seed: int = 0,
    weights: BootWeights | None = None,
) -> BootstrapResult:
    """p-value of τ = 0 and the (1 − α) interval on a balanced panel.

    cy[g, h] = Σ D̈_it ÿ_jt and cd[g, h] = Σ D̈_it D̈_jt over i ∈ g, j ∈ h, same t;
    own_y, own_d: the same sums over each cluster's own cells (default: the diagonals, right
    when clusters are units); units: U (default: one unit per cluster). `factor` is the CR1
    small-sample factor (it cancels in p-values, kept for clarity). `weights`: None
    chooses Webb's below WEBB_BELOW clusters, else Rademacher.
    """
    cy, cd = np.asarray(cy, float), np.asarray(cd, float)
    g = len(cy)
    a = np.diag(cy) if own_y is None else np.asarray(own_y, float)
    b = np.diag(cd) if own_d is None else np.asarray(own_d, float)
    units = g if units is None else units
    big_b = b.sum()
    if g < 2 or big_b <= 0:
        raise NotEstimable("The wild bootstrap needs at least 2 clusters and treatment variation.")
    kind = weights or choose_weights(g)
    check_choice("bootstrap weights", kind, BootWeights)
    w, enumerated = _weights(g, kind, reps, seed)
    resolution = (2 if enumerated else 1) / len(w)
    tau = a.sum() / big_b

    def t_stat(delta: np.ndarray, scores: np.ndarray) -> np.ndarray:
        se = np.sqrt(np.sum(scores**2, axis=-1) * factor) / big_b
        return np.divide(delta, se, out=np.zeros_like(delta), where=se > 0)

    def share(tau0: float) -> float:
        u, own = cy - tau0 * cd, a - tau0 * b
        # The bootstrap sample is re-projected on the fixed effects: cluster h's flipped
        # residuals move every period mean by their sum over h's units / U.
        p = np.diag(own) - u / units
        observed = t_stat(np.array(tau - tau0), a - tau * b)
        delta = w @ own / big_b
        star = t_stat(delta, w @ p.T - delta[:, None] * b)
        return float(np.mean(np.abs(star) > abs(observed) * (1 + 1e-10)))

    def p_value(tau0: float) -> float:
        return max(share(tau0), resolution)

    share0 = share(0.0)
    se = math.sqrt(np.sum((a - tau * b) ** 2) * factor) / big_b
    low = _bound(p_value, tau, tau - 20 * se - 1e-9, alpha)
    high = _bound(p_value, tau, tau + 20 * se + 1e-9, alpha)
    # Inverted with the same floor, so the interval and "p < α" always agree.
    return BootstrapResult(
        max(share0, resolution), low, high, len(w), enumerated, kind, resolution, share0
    )


def more_cautious(
    p_value: float, ci: tuple[float, float], boot: BootstrapResult
) -> tuple[float, float, float, bool]:
    """(p, low, high, bootstrap decides) of the more cautious of an analytic test and the
    bootstrap: the larger p and the hull of both intervals. They agree: τ0 outside the hull
    is rejected by both, so the hull excludes 0 exactly when the larger p is below α."""
    boot_decides = boot.p_value >= p_value
    low, high = min(boot.ci_low, ci[0]), max(boot.ci_high, ci[1])
    return max(boot.p_value, p_value), low, high, boot_decides


def _bound(p_value, inside: float, outside: float, alpha: float, steps: int = 40) -> float:
    """Bisect for where p(τ0) crosses α between the estimate and a far value (40 halvings
    of 20 SEs: far below any digit shown)."""
    if p_value(outside) > alpha:
        return -math.inf if outside < inside else math.inf
    for _ in range(steps):
        mid = (inside + outside) / 2
        if p_value(mid) > alpha:
            inside = mid
        else:
            outside = mid
    return (inside + outside) / 2
