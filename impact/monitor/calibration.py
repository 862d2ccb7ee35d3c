"""Calibration from equal-width score bins (Guo et al., ICML 2017) and the Brier score."""

from __future__ import annotations

import math

import pandas as pd


def reliability(bins: pd.DataFrame) -> pd.DataFrame:
    """The reliability-diagram table: per bin, n, mean score, observed rate and their gap.

    `bins` has columns bin, n, mean_score, mean_label (one group's rows)."""
    table = bins[["bin", "n", "mean_score", "mean_label"]].sort_values("bin").copy()
    table["gap"] = table["mean_label"] - table["mean_score"]
    return table.reset_index(drop=True)


def expected_calibration_error(n, mean_score, mean_label) -> float:
    """Σ_m (|B_m| / n) · |mean label(B_m) − mean score(B_m)| over the non-empty bins: Guo's
    acc − conf for a binary score, where the score is the confidence in the positive class."""
    counts = pd.Series(n, dtype=float).to_numpy()
    total = counts.sum()
    if not total:
        return math.nan
    gaps = abs(pd.Series(mean_label, dtype=float).to_numpy() - pd.Series(mean_score).to_numpy())
    return float((counts * gaps).sum() / total)


def brier_score(sum_squared_error: float, n: int) -> float:
    """Mean (p − y)²."""
    return sum_squared_error / n if n else math.nan
