"""Wild cluster bootstrap (WCR: restricted null, Rademacher weights) for a TWFE coefficient.

Cameron, Gelbach & Miller (2008), "Bootstrap-based improvements for inference with clustered
errors", REStat 90(3); MacKinnon & Webb (2017) on few treated clusters. In the within
(FWL) form ÿ = τD̈ + e, imposing τ = τ0 the restricted residual is ü = ÿ − τ0D̈. Clusters
g, h are units or groups of whole units of a balanced panel with U units in all. With
C[g, h] = Σ D̈_it ü_jt over units i ∈ g, j ∈ h and periods t, A_g = Σ D̈_it ü_it over g's
own cells (= C[g, g] when clusters are units), b_g = Σ D̈_it² over them, B = Σ b_g and
weights w_g = ±1: τ* − τ0 = Σ_g w_g A_g / B, and cluster g's score after re-projecting y* on
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

ENUMERATE_UP_TO = 12


@dataclass(frozen=True)
class BootstrapResult:
    p_value: float
    ci_low: float
    ci_high: float
    replications: int
    enumerated: bool


def _weights(clusters: int, reps: int, seed: int) -> np.ndarray:
    if clusters <= ENUMERATE_UP_TO:
        return np.array(list(itertools.product((-1.0, 1.0), repeat=clusters)))
    rng = np.random.default_rng(seed)
    return rng.choice((-1.0, 1.0), size=(reps, clusters))


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
) -> BootstrapResult:
    """p-value of τ = 0 and the (1 − α) interval on a balanced panel.

    cy[g, h] = Σ D̈_it ÿ_jt and cd[g, h] = Σ D̈_it D̈_jt over i ∈ g, j ∈ h, same t;
    own_y, own_d: the same sums over each cluster's own cells (default: the diagonals, right
    when clusters are units); units: U (default: one unit per cluster). `factor` is the CR1
    small-sample factor (it cancels in p-values, kept for clarity).
    """
    cy, cd = np.asarray(cy, float), np.asarray(cd, float)
    g = len(cy)
    a = np.diag(cy) if own_y is None else np.asarray(own_y, float)
    b = np.diag(cd) if own_d is None else np.asarray(own_d, float)
    units = g if units is None else units
    big_b = b.sum()
    if g < 2 or big_b <= 0:
        raise NotEstimable("The wild bootstrap needs at least 2 clusters and treatment variation.")
    w = _weights(g, reps, seed)
    tau = a.sum() / big_b

    def t_stat(delta: np.ndarray, scores: np.ndarray) -> np.ndarray:
        se = np.sqrt(np.sum(scores**2, axis=-1) * factor) / big_b
        return np.divide(delta, se, out=np.zeros_like(delta), where=se > 0)

    def p_value(tau0: float) -> float:
        u, own = cy - tau0 * cd, a - tau0 * b
        # The bootstrap sample is re-projected on the fixed effects: cluster h's flipped
        # residuals move every period mean by their sum over h's units / U.
        p = np.diag(own) - u / units
        observed = t_stat(np.array(tau - tau0), a - tau * b)
        delta = w @ own / big_b
        star = t_stat(delta, w @ p.T - delta[:, None] * b)
        return float(np.mean(np.abs(star) > abs(observed) * (1 + 1e-10)))

    p0 = p_value(0.0)
    se = math.sqrt(np.sum((a - tau * b) ** 2) * factor) / big_b
    low = _bound(p_value, tau, tau - 20 * se - 1e-9, alpha)
    high = _bound(p_value, tau, tau + 20 * se + 1e-9, alpha)
    return BootstrapResult(p0, low, high, len(w), g <= ENUMERATE_UP_TO)


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
