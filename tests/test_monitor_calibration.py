"""ECE and Brier: a hand-computed case, and agreement with scikit-learn's binning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from impact.monitor import calibration as cal


def bins_of(score, y, n_bins=10) -> pd.DataFrame:
    """The SQL's binning in pandas: bin m holds (m−1)/M < score ≤ m/M."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    frame = pd.DataFrame({"bin": np.searchsorted(edges, score), "score": score, "y": y})
    return (
        frame.groupby("bin")
        .agg(n=("y", "size"), mean_score=("score", "mean"), mean_label=("y", "mean"))
        .reset_index()
    )


def test_hand_computed_case():
    score = np.array([0.05, 0.15, 0.15, 0.85, 0.95])
    y = np.array([0, 0, 1, 1, 1])
    b = bins_of(score, y)
    # Bins 0, 1, 8, 9 with gaps |0 − .05|, |.5 − .15|, |1 − .85|, |1 − .95| and 1, 2, 1, 1 rows:
    # ECE = (.05 + 2·.35 + .15 + .05) / 5 = 0.19
    ece = cal.expected_calibration_error(b.n, b.mean_score, b.mean_label)
    assert ece == pytest.approx(0.19, abs=1e-12)
    # Brier = (.05² + .15² + .85² + .15² + .05²) / 5 = 0.7725 / 5 = 0.1545
    assert cal.brier_score(float(((score - y) ** 2).sum()), 5) == pytest.approx(0.1545, abs=1e-12)
    table = cal.reliability(b)
    assert table.bin.tolist() == [0, 1, 8, 9]
    assert table.gap.round(12).tolist() == [-0.05, 0.35, 0.15, 0.05]


def test_ece_and_brier_agree_with_sklearn_on_random_rows():
    rng = np.random.default_rng(5)
    score = np.round(rng.random(3000), 1)  # many scores sit exactly on bin edges
    y = (rng.random(3000) < score**1.5).astype(int)
    b = bins_of(score, y)
    prob_true, prob_pred = calibration_curve(y, score, n_bins=10, strategy="uniform")
    assert np.allclose(b.mean_label, prob_true) and np.allclose(b.mean_score, prob_pred)
    weights = b.n / b.n.sum()
    ece = cal.expected_calibration_error(b.n, b.mean_score, b.mean_label)
    assert ece == pytest.approx(float((weights * abs(prob_true - prob_pred)).sum()), abs=1e-12)
    brier = cal.brier_score(float(((score - y) ** 2).sum()), len(y))
    assert brier == pytest.approx(brier_score_loss(y, score), abs=1e-12)


def test_empty_inputs_give_nan():
    assert np.isnan(cal.expected_calibration_error([], [], []))
    assert np.isnan(cal.brier_score(0.0, 0))


def test_hosmer_lemeshow_equals_scipys_chi_square_over_both_classes():
    """H = Σ over bins and both classes of (observed − expected)² / expected, χ² with one
    degree of freedom per bin (scores not fitted here): scipy's chisquare on the same
    cells, ddof = B − 1 so that its k − 1 − ddof = B."""
    from scipy import stats

    rng = np.random.default_rng(5)
    score = rng.uniform(0.1, 0.9, 2000)  # every bin expects ≥ 5 of each class: none merged
    y = (rng.random(2000) < np.clip(score * 1.15, 0, 1)).astype(int)  # slightly off
    b = bins_of(score, y)
    assert len(b) == 8
    statistic, df, p = cal.calibration_test(b["n"], b["mean_score"], b["mean_label"])
    expected = np.concatenate([b["n"] * b["mean_score"], b["n"] * (1 - b["mean_score"])])
    observed = np.concatenate([b["n"] * b["mean_label"], b["n"] * (1 - b["mean_label"])])
    ref = stats.chisquare(observed, expected, ddof=len(b) - 1)
    assert (statistic, p) == pytest.approx((ref.statistic, ref.pvalue))
    assert df == len(b)


def test_a_calibrated_score_rarely_fails_the_test_and_a_miscalibrated_one_does():
    """Known truth: labels drawn with probability = score. 1,000 weeks of 120 labels: the
    ECE alone exceeds 0.10 in many of them, the test at p < 0.001 in about 0.1% (it errs
    toward no alarm); a score 30% too high fails it in most weeks of 300 labels."""
    rng = np.random.default_rng(6)
    edges = np.linspace(0.0, 1.0, 11)[1:-1]

    def binned(score, y):  # bins_of in numpy: the loop runs 1,100 times
        b = np.searchsorted(edges, score)
        n = np.bincount(b, minlength=10)
        keep = n > 0
        mean = np.bincount(b, score, 10)[keep] / n[keep]
        return n[keep], mean, np.bincount(b, y, 10)[keep] / n[keep]

    high_ece = failed = 0
    for _ in range(1000):
        score = rng.beta(2, 3, 120)
        b = binned(score, (rng.random(120) < score).astype(float))
        high_ece += cal.expected_calibration_error(*b) > 0.1
        failed += cal.calibration_test(*b)[2] < 0.001
    assert high_ece >= 100 and failed <= 5
    caught = 0
    for _ in range(100):
        score = rng.beta(2, 3, 300)
        b = binned(np.clip(score * 1.3, 0, 0.999), (rng.random(300) < score).astype(float))
        caught += cal.calibration_test(*b)[2] < 0.001
    assert caught >= 60


def test_sparse_bins_are_pooled_before_the_test():
    """One row in the top bin (score 0.95, label 0) alone would add 0.95²/0.0475 = 19 to H:
    pooled with its neighbours until 5 positives and 5 negatives are expected, it cannot."""
    n = [40, 60, 30, 1]
    mean_score = [0.3, 0.5, 0.7, 0.95]
    mean_label = [0.3, 0.5, 0.7, 0.0]
    statistic, df, p = cal.calibration_test(n, mean_score, mean_label)
    # Groups: bin 1 (12 / 28 expected), bin 2 (30 / 30), bins 3 + 4 (31 rows, 21.95 / 9.05).
    pooled_score = (30 * 0.7 + 0.95) / 31
    pooled_label = 21 / 31
    expected = 31 * (pooled_label - pooled_score) ** 2 / (pooled_score * (1 - pooled_score))
    assert df == 3 and statistic == pytest.approx(expected)
    assert p > 0.5
