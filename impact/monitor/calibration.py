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


MIN_EXPECTED = 5.0  # per class and group, for χ² to hold (Hosmer & Lemeshow's advice)


def calibration_test(n, mean_score, mean_label) -> tuple[float, int, float]:
    """Hosmer–Lemeshow's test of calibration for scores not fitted on these labels
    (external validation): H = Σ_g n_g (ȳ_g − p̄_g)² / (p̄_g (1 − p̄_g)) ~ χ²(G) under
    perfect calibration. The groups g are the score bins in order, adjacent bins merged
    until each expects at least MIN_EXPECTED positives and negatives (a sparse top bin
    otherwise alarms on one row). (statistic, df, p-value).

    A high ECE from a few labels is noise as often as not (a calibrated score with 120
    labels in a week reaches 0.12); the p-value says whether the gaps exceed it. Using
    p̄(1 − p̄) for a group's variance, not the mean of p(1 − p), errs toward no alarm."""
    counts, scores, labels = _groups(n, mean_score, mean_label)
    keep = (scores > 0) & (scores < 1)
    if not keep.any():
        return math.nan, 0, math.nan
    counts, scores, labels = counts[keep], scores[keep], labels[keep]
    statistic = float(np.sum(counts * (labels - scores) ** 2 / (scores * (1 - scores))))
    df = int(keep.sum())
    return statistic, df, float(stats.chi2.sf(statistic, df))


def _groups(n, mean_score, mean_label) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adjacent bins pooled until both expected counts reach MIN_EXPECTED; a short last
    group joins the one before."""
    counts = np.asarray(n, dtype=float)
    score_sums = counts * np.asarray(mean_score, dtype=float)
    label_sums = counts * np.asarray(mean_label, dtype=float)
    groups: list[list[float]] = []
    current = [0.0, 0.0, 0.0]
    for c, s, y in zip(counts, score_sums, label_sums, strict=True):
        if c <= 0:
            continue
        current = [current[0] + c, current[1] + s, current[2] + y]
        if min(current[1], current[0] - current[1]) >= MIN_EXPECTED:
            groups.append(current)
            current = [0.0, 0.0, 0.0]
    if current[0] > 0:
        if groups:
            groups[-1] = [a + b for a, b in zip(groups[-1], current, strict=True)]
        else:
            groups.append(current)
    g = np.array(groups).reshape(-1, 3)
    return g[:, 0], g[:, 1] / g[:, 0], g[:, 2] / g[:, 0]
