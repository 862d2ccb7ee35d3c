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
