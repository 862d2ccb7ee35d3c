"""What every DiD estimator's inference shares: CR1's small-sample factor, and the critical
value of the tables of many effects (a single estimate's interval is Estimate.from_se's)."""

from __future__ import annotations

from scipy import stats as sps

from impact.errors import NotEstimable


def cr1_factor(clusters: int, observations: int, params: int, cluster: str = "unit") -> float:
    """CR1's small-sample factor G/(G − 1) · (N − 1)/(N − K)."""
    if clusters < 2:
        raise NotEstimable(f"Clustered standard errors need at least 2 clusters ({cluster}s).")
    return clusters / (clusters - 1) * (observations - 1) / (observations - params)


def critical_value(alpha: float, df: float | None = None) -> float:
    """The (1 − α/2) quantile of t(df), or of the normal when df is None: the one
    Estimate.from_se uses, for tables whose rows share a reference distribution."""
    return float((sps.norm if df is None else sps.t(df)).ppf(1 - alpha / 2))
