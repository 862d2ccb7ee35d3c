"""What every DiD estimator's inference shares: CR1's small-sample factor, and the critical
value of the tables of many effects (Estimate.from_se's own, so tables and estimates agree)."""

from __future__ import annotations

from impact.errors import NotEstimable
from impact.stats.estimate import Estimate

critical_value = Estimate.critical_value


def cr1_factor(clusters: int, observations: int, params: int, cluster: str = "unit") -> float:
    """CR1's small-sample factor G/(G − 1) · (N − 1)/(N − K)."""
    if clusters < 2:
        raise NotEstimable(f"Clustered standard errors need at least 2 clusters ({cluster}s).")
    return clusters / (clusters - 1) * (observations - 1) / (observations - params)
