"""Calibration from equal-width score bins (Guo et al., ICML 2017) and the Brier score."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


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


def calibration_test(n, mean_score, mean_label) -> tuple[float, int, float]:
    """Hosmer–Lemeshow's test of calibration for scores not fitted on these labels
    (external validation): H = Σ_b n_b (ȳ_b − p̄_b)² / (p̄_b (1 − p̄_b)) ~ χ²(B) under
    perfect calibration, over the B bins with 0 < p̄_b < 1. (statistic, df, p-value).

    A high ECE from a few labels is noise as often as not (a calibrated score with 120
    labels in a week reaches 0.12); the p-value says whether the gaps exceed it. Using
    p̄(1 − p̄) for the bin's variance, not the mean of p(1 − p), errs toward no alarm."""
    counts = np.asarray(n, dtype=float)
    score = np.asarray(mean_score, dtype=float)
    label = np.asarray(mean_label, dtype=float)
    keep = (counts > 0) & (score > 0) & (score < 1)
    if not keep.any():
        return math.nan, 0, math.nan
    counts, score, label = counts[keep], score[keep], label[keep]
    statistic = float(np.sum(counts * (label - score) ** 2 / (score * (1 - score))))
    df = int(keep.sum())
    return statistic, df, float(stats.chi2.sf(statistic, df))
