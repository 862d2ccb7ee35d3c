"""Regression metrics from sums of errors (e = y − ŷ)."""

from __future__ import annotations

import math


def regression_metrics(
    n: int, sum_abs_error: float, sum_squared_error: float, sum_abs_pct_error: float, n_pct: int
) -> dict[str, float]:
    """MAE, RMSE and MAPE (a fraction; over rows whose actual is not 0, where it is defined)."""
    if not n:
        return {"mae": math.nan, "rmse": math.nan, "mape": math.nan}
    return {
        "mae": sum_abs_error / n,
        "rmse": math.sqrt(sum_squared_error / n),
        "mape": sum_abs_pct_error / n_pct if n_pct else math.nan,
    }
