"""Alerts name what crossed which threshold and the first period it did."""

from __future__ import annotations

import numpy as np
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
            "calibration_p": 1e-6,
            "roc_auc": [0.5, 0.5, 0.5, 0.9, 0.7, 0.7],
            "roc_auc_se": 0.02,
        }
    )
    reference = (0.9, 0.01)
    alerts = find_alerts(ops, drift([0.0] * 6, [1.0] * 6), classification, reference, Thresholds())
    assert [(a.kind, a.first_period) for a in alerts] == [
        ("calibration", DAYS[3]),
        ("performance", DAYS[4]),
    ]


def test_crossings_that_chance_explains_do_not_alert():
    """ECE above 0.10 and AUC 0.06 below the reference, from a week's worth of labels: the
    rule of thumb is crossed, the test is not, so nothing is alerted; with a clear test,
    both are."""
    ops = operations([0.0] * 6)
    frame = pd.DataFrame(
        {
            "version": "v1",
            "period": DAYS[:2],
            "labeled": [120, 120],
            "ece": [0.12, 0.12],
            "calibration_p": [0.2, 1e-5],
            "roc_auc": [0.69, 0.60],
            "roc_auc_se": [0.047, 0.03],
        }
    )
    alerts = find_alerts(ops, drift([0.0] * 6, [1.0] * 6), frame, (0.75, 0.01), Thresholds())
    # Day 0: z = 0.06 / √(0.047² + 0.01²) = 1.25, p 0.11; day 1: z = 0.15 / 0.0316 = 4.7.
    assert [(a.kind, a.first_period) for a in alerts] == [
        ("calibration", DAYS[1]),
        ("performance", DAYS[1]),
    ]


def test_simulated_drift_is_alerted_from_its_week_and_no_drift_never_is():
    # Known truth: weekly samples of the demo fraud model's legitimate scores, Beta(1.5, 10),
    # shifting to Beta(3, 8) from week 30 of 50 in one model and never in the other.
    from scipy import stats

    from impact.monitor import drift as dr

    rng = np.random.default_rng(11)
    weeks = pd.date_range("2026-01-05", periods=50, freq="7D", tz="UTC")
    reference = rng.beta(1.5, 10, 1000)
    edges = np.quantile(reference, np.arange(1, 10) / 10)
    ref_counts = np.bincount(np.searchsorted(edges, reference), minlength=10)

    def weekly(shift_week):
        rows = []
        for k, week in enumerate(weeks):
            x = rng.beta(*((3, 8) if k >= shift_week else (1.5, 10)), 300)
            d = stats.ks_2samp(reference, x).statistic
            counts = np.bincount(np.searchsorted(edges, x), minlength=10)
            psi, p = dr.psi(ref_counts, counts), dr.ks_p_value(d, len(x), len(reference))
            rows.append(
                {"version": "v1", "period": week, "column": "score", "psi": psi, "p_value": p}
            )
        return pd.DataFrame(rows)

    ops = pd.DataFrame({"version": "v1", "period": weeks, "n": 300, "fallback_share": 0.0})
    [alert] = find_alerts(ops, weekly(30), None, None, Thresholds())
    assert (alert.first_period, alert.periods) == (weeks[30], 20)
    assert find_alerts(ops, weekly(len(weeks)), None, None, Thresholds()) == []
