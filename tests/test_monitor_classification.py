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
