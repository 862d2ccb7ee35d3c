"""Classifier value from a confusion matrix, checked by hand."""

import pytest

from impact.errors import NotEstimable
from impact.value.classifier import decision_value


def test_value_matrix_times_confusion_matrix():
    cm = {"tn": 900, "fp": 30, "fn": 20, "tp": 50}
    v = {"tn": 0.0, "fp": -10.0, "fn": 0.0, "tp": 120.0}
    result = decision_value(cm, v)
    assert result.total == 50 * 120 - 30 * 10 == 5700
    assert result.per_prediction == pytest.approx(5.7)
    assert result.by_cell == {"tn": 0.0, "fp": -300.0, "fn": 0.0, "tp": 6000.0}


def test_missing_values_and_empty_matrix_are_explained():
    with pytest.raises(NotEstimable, match="value_fp, value_tp"):
        decision_value({"tn": 1}, {"tn": 0.0, "fn": 0.0})
    with pytest.raises(NotEstimable, match="No labelled predictions"):
        decision_value({}, {"tn": 0, "fp": 0, "fn": 0, "tp": 0})
