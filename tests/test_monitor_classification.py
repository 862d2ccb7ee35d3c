"""Classification metrics from summaries equal scikit-learn's on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from impact.monitor import classification as cls


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(3)
    n = 2000
    y = (rng.random(n) < 0.3).astype(int)
    # Rounded to 2 decimals so many scores tie, within and across the classes.
    score = np.round(np.clip(rng.beta(2, 5, n) + 0.25 * y, 0.0, 1.0), 2)
    return y, score


def counts(y, score) -> pd.DataFrame:
    frame = pd.DataFrame({"score": score, "y": y})
    return frame.groupby("score").y.agg(positives="sum", negatives=lambda s: (1 - s).sum())


def test_rank_metrics_from_per_score_counts_equal_sklearn(rows):
    y, score = rows
    c = counts(y, score).reset_index()
    got = cls.score_metrics(c.score, c.positives, c.negatives)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert got["pr_auc"] == pytest.approx(skm.average_precision_score(y, score), abs=1e-12)
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, score), abs=1e-12)


def test_counts_in_any_order_and_split_rows_give_the_same_metrics(rows):
    y, score = rows
    c = counts(y, score).reset_index()
    halves = pd.concat(
        [
            c.assign(positives=c.positives // 2, negatives=c.negatives // 2),
            c.assign(
                positives=c.positives - c.positives // 2, negatives=c.negatives - c.negatives // 2
            ),
        ]
    ).sample(frac=1, random_state=1)
    assert cls.score_metrics(halves.score, halves.positives, halves.negatives) == pytest.approx(
        cls.score_metrics(c.score, c.positives, c.negatives), abs=1e-12
    )


def test_threshold_metrics_equal_sklearn(rows):
    y, score = rows
    pred = (score >= 0.4).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    got = cls.threshold_metrics(tp, fp, tn, fn)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert got["precision"] == pytest.approx(skm.precision_score(y, pred), abs=1e-12)
    assert got["recall"] == pytest.approx(skm.recall_score(y, pred), abs=1e-12)
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred), abs=1e-12)


def test_log_loss_clips_certain_mistakes_like_sklearn():
    y = np.array([1, 0, 1, 0])
    score = np.array([0.0, 1.0, 1.0, 0.2])
    c = counts(y, score).reset_index()
    assert cls.log_loss(c.score, c.positives, c.negatives) == pytest.approx(
        skm.log_loss(y, score), rel=1e-12
    )


def test_undefined_metrics_are_nan_not_errors():
    assert np.isnan(cls.roc_auc([0.1, 0.9], [1, 1], [0, 0]))  # no negatives
    assert np.isnan(cls.average_precision([0.1], [0], [3]))  # no positives
    assert np.isnan(cls.threshold_metrics(0, 0, 5, 0)["precision"])  # nothing flagged


def test_delong_standard_error_equals_the_pairwise_computation_on_rows(rows):
    """DeLong's placement values computed pair by pair on the raw rows (ties count ½)."""
    y, score = rows
    pos, neg = score[y == 1], score[y == 0]
    wins = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = wins.mean(axis=1), wins.mean(axis=0)
    se = np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    c = counts(y, score)
    assert cls.roc_auc_se(c.index, c["positives"], c["negatives"]) == pytest.approx(se)
    assert wins.mean() == pytest.approx(skm.roc_auc_score(y, score))


def test_delong_standard_error_covers_the_true_auc():
    """Known truth: positives ~ N(1, 1), negatives ~ N(0, 1), AUC = Φ(1/√2) = 0.7602.
    400 samples of 60 positives and 140 negatives: the 95% interval covers about 95%."""
    from scipy import stats

    rng = np.random.default_rng(8)
    truth, covered = stats.norm.cdf(1 / np.sqrt(2)), 0
    for _ in range(400):
        score = np.round(np.concatenate([rng.normal(1, 1, 60), rng.normal(0, 1, 140)]), 3)
        y = np.r_[np.ones(60), np.zeros(140)]
        auc, se = cls.roc_auc(score, y, 1 - y), cls.roc_auc_se(score, y, 1 - y)  # merges ties
        covered += abs(auc - truth) <= 1.96 * se
    assert 0.92 <= covered / 400 <= 0.975
