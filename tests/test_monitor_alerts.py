"""Alerts name what crossed which threshold and the first period it did."""

from __future__ import annotations

import pandas as pd

from impact.monitor.alerts import Thresholds, find_alerts

DAYS = pd.date_range("2026-09-10", periods=6, freq="D", tz="UTC")


def operations(fallback):
    return pd.DataFrame(
        {
            "version": "v1",
            "period": DAYS,
            "n": 500,
            "fallback_share": fallback,
            "latency_p99": [80.0] * 4 + [400.0] * 2,
        }
    )


def drift(psi, p):
    return pd.DataFrame(
        {"version": "v1", "period": DAYS, "column": "score", "psi": psi, "p_value": p}
    )


def test_first_crossing_and_count():
    ops = operations([0.01, 0.01, 0.09, 0.02, 0.08, 0.07])
    d = drift([0.05, 0.4, 0.3, 0.5, 0.6, 0.7], [0.5, 0.2, 1e-5, 1e-6, 1e-9, 1e-9])
    alerts = find_alerts(ops, d, None, None, Thresholds(max_latency_p99_ms=250))
    by = {(a.kind, a.subject): a for a in alerts}
    fallback = by[("operations", "fallback_share")]
    assert (fallback.first_period, fallback.periods) == (DAYS[2], 3)
    assert fallback.first_value == 0.09 and fallback.last_period == DAYS[5]
    # PSI 0.4 on day 2 is not confirmed by its p-value: the drift starts on day 3.
    shifted = by[("drift", "score")]
    assert (shifted.first_period, shifted.periods, shifted.first_value) == (DAYS[2], 4, 0.3)
    assert by[("operations", "latency_p99")].first_period == DAYS[4]
    assert [a.first_period for a in alerts] == sorted(a.first_period for a in alerts)


def test_small_periods_do_not_alert():
    ops = operations([0.5] * 6).assign(n=20)
    classification = pd.DataFrame(
        {
            "version": "v1",
            "period": DAYS,
            "labeled": [20, 20, 20, 500, 500, 500],
            "ece": 0.3,
            "roc_auc": [0.5, 0.5, 0.5, 0.9, 0.7, 0.7],
        }
    )
    alerts = find_alerts(ops, drift([0.0] * 6, [1.0] * 6), classification, 0.9, Thresholds())
    assert [(a.kind, a.first_period) for a in alerts] == [
        ("calibration", DAYS[3]),
        ("performance", DAYS[4]),
    ]
