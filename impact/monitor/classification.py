"""Classification metrics from confusion counts and from per-distinct-score label counts.

Per-distinct-score counts are a lossless summary for rank metrics: ROC AUC and average
precision depend only on how positives and negatives are ordered by score, ties included.
"""

from __future__ import annotations

import math

import numpy as np

LOG_LOSS_EPS = float(np.finfo(float).eps)  # probabilities are clipped to [eps, 1 − eps]


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def threshold_metrics(tp: int, fp: int, tn: int, fn: int) -> dict[str, float]:
    """Accuracy, precision, recall and F1 at the decision threshold (NaN when undefined)."""
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    return {
        "accuracy": _ratio(tp + tn, tp + fp + tn + fn),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def _sorted(scores, positives, negatives) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge duplicate scores and sort them in ascending order."""
    s = np.asarray(scores, dtype=float)
    pos = np.asarray(positives, dtype=float)
    neg = np.asarray(negatives, dtype=float)
    unique, inverse = np.unique(s, return_inverse=True)
    return unique, np.bincount(inverse, pos, len(unique)), np.bincount(inverse, neg, len(unique))


def roc_auc(scores, positives, negatives) -> float:
    """P(score of a positive > score of a negative) + ½ P(tie): the area under the ROC curve
    with ties as diagonal segments, as sklearn.metrics.roc_auc_score computes it."""
    _, pos, neg = _sorted(scores, positives, negatives)
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return math.nan
    negatives_below = np.cumsum(neg) - neg
    return float((pos * (negatives_below + 0.5 * neg)).sum() / (n_pos * n_neg))


def roc_auc_se(scores, positives, negatives) -> float:
    """DeLong's standard error of the ROC AUC, from the per-distinct-score counts: with
    V₁₀ = P(negative below a positive's score) + ½ P(tie) for each positive and
    V₀₁ = P(positive above a negative's score) + ½ P(tie) for each negative,
    Var = s²(V₁₀)/n₊ + s²(V₀₁)/n₋ (DeLong, DeLong & Clarke-Pearson, Biometrics 1988)."""
    _, pos, neg = _sorted(scores, positives, negatives)
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos < 2 or n_neg < 2:
        return math.nan
    below_neg = (np.cumsum(neg) - neg + 0.5 * neg) / n_neg  # V10 of a positive at this score
    above_pos = (pos.sum() - np.cumsum(pos) + 0.5 * pos) / n_pos  # V01 of a negative here
    auc = (pos * below_neg).sum() / n_pos
    var10 = (pos * (below_neg - auc) ** 2).sum() / (n_pos - 1)
    var01 = (neg * (above_pos - auc) ** 2).sum() / (n_neg - 1)
    return float(math.sqrt(var10 / n_pos + var01 / n_neg))


def average_precision(scores, positives, negatives) -> float:
    """Σ (R_k − R_{k−1}) · P_k over thresholds at each distinct score, highest first (the
    PR AUC that sklearn.metrics.average_precision_score reports)."""
    _, pos, neg = _sorted(scores, positives, negatives)
    n_pos = pos.sum()
    if n_pos == 0:
        return math.nan
    tp = np.cumsum(pos[::-1])
    fp = np.cumsum(neg[::-1])
    precision = tp / (tp + fp)
    recall_step = pos[::-1] / n_pos
    return float((recall_step * precision).sum())


def log_loss(scores, positives, negatives) -> float:
    """Mean −[y ln p + (1 − y) ln(1 − p)] with p clipped to [eps, 1 − eps]."""
    s, pos, neg = _sorted(scores, positives, negatives)
    n = pos.sum() + neg.sum()
    if n == 0:
        return math.nan
    p = np.clip(s, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    return float(-(pos * np.log(p) + neg * np.log1p(-p)).sum() / n)


def score_metrics(scores, positives, negatives) -> dict[str, float]:
    return {
        "roc_auc": roc_auc(scores, positives, negatives),
        "roc_auc_se": roc_auc_se(scores, positives, negatives),
        "pr_auc": average_precision(scores, positives, negatives),
        "log_loss": log_loss(scores, positives, negatives),
    }
