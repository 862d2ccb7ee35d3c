"""Regression metrics from error sums equal scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from impact.monitor.regression import regression_metrics


def test_mae_rmse_mape_equal_sklearn():
    rng = np.random.default_rng(8)
    y = rng.gamma(3.0, 10.0, 500) + 1.0
    pred = y + rng.normal(0, 4, 500)
    e = y - pred
    got = regression_metrics(
        len(y), np.abs(e).sum(), (e**2).sum(), (np.abs(e) / np.abs(y)).sum(), len(y)
    )
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-12)
    assert got["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred), rel=1e-12)
    assert got["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred), rel=1e-12)


def test_mape_is_undefined_without_nonzero_actuals():
    got = regression_metrics(2, 1.0, 1.0, 0.0, 0)
    assert got["mae"] == 0.5 and np.isnan(got["mape"])
    assert all(np.isnan(v) for v in regression_metrics(0, 0, 0, 0, 0).values())
