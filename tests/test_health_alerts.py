"""Alerts are a property of the model, not of the chart: one cadence, one list, and a drift
reference that never overlaps the periods compared with it (issue 11, item 8)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impact.analysis.health import ReferenceOverlap, model_health
from impact.demo import truth as T

MODELS = (T.CHURN_MODEL, T.TRIAGE_MODEL, T.FRAUD_MODEL, T.RECS_MODEL)
UTC_DAY = pd.Timedelta(days=1)


def monday(when: datetime) -> pd.Timestamp:
    day = pd.Timestamp(when).floor("D")
    return day - pd.Timedelta(days=day.weekday())


@pytest.fixture(scope="module")
def health(demo_store):
    return {(m, p): model_health(demo_store, m, p) for m in MODELS for p in ("day", "week")}


@pytest.mark.parametrize("model", MODELS)
def test_alerts_are_the_same_whatever_the_chart_period(health, model):
    # Before the fix: churn-model 1 alert by week and 3 by day, fraud-model 3 and 1.
    by_day, by_week = health[(model, "day")], health[(model, "week")]
    assert [a.record() for a in by_day.alerts] == [a.record() for a in by_week.alerts]
    assert by_day.cadence == by_week.cadence == "week"
    assert any("per week" in n for n in by_day.notes)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("period", ["day", "week"])
def test_default_reference_ends_before_every_monitored_period(demo_store, health, model, period):
    # Before the fix: churn-model's reference (first 28 days) covered all of its 14 days.
    h = health[(model, period)]
    start, end = (pd.Timestamp(t) for t in h.reference)
    last = demo_store.warehouse.scalar(
        "SELECT max(predicted_at) FROM predictions WHERE model = ?", [model]
    )
    assert start < end == pd.Timestamp(h.monitored_from) <= pd.Timestamp(last)
    assert end == monday(end)  # a week boundary: no alert week straddles it
    assert not h.drift.empty and (pd.to_datetime(h.drift.period, utc=True) >= end).all()
    alerts = [a for a in h.alerts if a.kind in ("drift", "performance")]
    assert all(pd.Timestamp(a.first_period) >= end for a in alerts)


def test_churn_reference_is_its_first_days_and_monitoring_follows(health):
    h = health[(T.CHURN_MODEL, "week")]
    assert [pd.Timestamp(t) for t in h.reference] == [
        pd.Timestamp(T.ASSIGN_START),
        monday(T.ASSIGN_START + timedelta(days=7)),
    ]
    assert any("monitored from 2026-09-07" in n for n in h.notes)


def test_overlapping_references_are_refused(demo_store):
    everything = (T.ASSIGN_START, T.DEMO_END)
    with pytest.raises(ReferenceOverlap, match="compare the data with itself") as caught:
        model_health(demo_store, T.CHURN_MODEL, "week", everything)
    message = str(caught.value)
    assert "2026-09-01" in message and "End the reference on or before 2026-09-14" in message


def test_drift_is_computed_against_the_reference_rows_only(demo_store, health):
    h = health[(T.FRAUD_MODEL, "week")]
    start, end = h.reference
    raw = demo_store.warehouse.frame(
        "SELECT model_version, predicted_at, score FROM predictions WHERE model = ?",
        [T.FRAUD_MODEL],
    )
    at = pd.to_datetime(raw.predicted_at, utc=True)
    reference = raw.score[(at >= start) & (at < end)]
    week = monday(T.DRIFT_DATE + timedelta(days=7))
    current = raw.score[(at >= week) & (at < week + 7 * UTC_DAY)]
    [row] = h.drift[
        (h.drift.column == "score") & (pd.to_datetime(h.drift.period, utc=True) == week)
    ].itertuples()
    expected = stats.ks_2samp(reference, current, method="asymp")
    assert (row.n_reference, row.n) == (len(reference), len(current))
    assert row.ks_d == pytest.approx(expected.statistic, abs=1e-12)
    edges = np.quantile(reference, np.arange(1, 10) / 10)
    ref_counts = np.bincount(np.searchsorted(edges, reference), minlength=10)
    cur_counts = np.bincount(np.searchsorted(edges, current), minlength=10)
    shares = [c / c.sum() for c in (ref_counts, cur_counts)]
    floored = [np.maximum(s, 1e-4) for s in shares]
    psi = float(((floored[1] - floored[0]) * np.log(floored[1] / floored[0])).sum())
    assert row.psi == pytest.approx(psi, rel=1e-12)


def test_injected_drift_is_alerted_from_its_week_and_nothing_else_drifts(health):
    fraud = health[(T.FRAUD_MODEL, "week")]
    [alert] = [a for a in fraud.alerts if a.kind == "drift"]
    first = pd.Timestamp(alert.first_period)
    assert (alert.subject, alert.version) == ("score", "v4")
    assert first <= pd.Timestamp(T.DRIFT_DATE) < first + 7 * UTC_DAY  # within one week
    weeks_since = (monday(T.DEMO_END - timedelta(microseconds=1)) - first).days // 7 + 1
    assert alert.periods == weeks_since  # and every week after it
    # churn-model has no injected drift: no drift alert.
    assert not [a for a in health[(T.CHURN_MODEL, "week")].alerts if a.kind == "drift"]


def test_a_model_too_young_to_monitor_has_no_drift_and_says_so(store, tmp_path):
    from impact.analysis.health import version_comparison
    from impact.analysis.model_view import model_view
    from impact.ingest import ingest_file

    rng = np.random.default_rng(3)
    n = 400
    at = pd.Timestamp("2026-09-03", tz="UTC") + pd.to_timedelta(  # Thursday to Saturday
        np.sort(rng.integers(0, 3 * 86400, n)), unit="s"
    )
    pd.DataFrame(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "model": "young",
            "model_version": "v1",
            "unit_id": [f"u{i}" for i in range(n)],
            "predicted_at": at,
            "score": np.round(rng.random(n), 3),
            "actual": (rng.random(n) < 0.3).astype(float),
        }
    ).to_parquet(tmp_path / "young.parquet")
    store.catalog.ensure_model("young", ["v1"], decision_threshold=0.5)
    ingest_file(store, tmp_path / "young.parquet", "predictions")
    health = model_health(store, "young", "day")
    assert pd.Timestamp(health.monitored_from) == pd.Timestamp("2026-09-07", tz="UTC")
    assert health.drift.empty and not [a for a in health.alerts if a.kind == "drift"]
    assert any("monitored from 2026-09-07" in n for n in health.notes)
    assert version_comparison(store, "young").score_psi.isna().all()
    assert model_view(store, "young", "day").comparison.version.tolist() == ["v1"]


def test_the_cadence_is_a_stated_threshold(demo_store):
    from impact.errors import InvalidInput
    from impact.monitor.alerts import Thresholds

    daily = model_health(demo_store, T.CHURN_MODEL, "week", thresholds=Thresholds(cadence="day"))
    assert daily.cadence == "day" and any("per day" in n for n in daily.notes)
    fallback = next(a for a in daily.alerts if a.subject == "fallback_share")
    assert pd.Timestamp(fallback.first_period) == pd.Timestamp(T.ASSIGN_START)  # a day
    with pytest.raises(InvalidInput, match="alert cadence"):
        model_health(demo_store, T.CHURN_MODEL, "week", thresholds=Thresholds(cadence="month"))


def test_a_calibrated_unchanging_model_raises_no_label_alert(demo_store):
    """Known truth: triage tickets are urgent with probability = score and its ranking never
    changes; fraud scores are not probabilities. Before the tests were required, triage
    showed ECE 0.120 (120 labels, one week) as a calibration alert; the recs model's score
    is the chance of a purchase too."""
    triage = model_health(demo_store, T.TRIAGE_MODEL, "week")
    assert {a.kind for a in triage.alerts} <= {"drift"}  # region mix shifts with the rollout
    assert model_health(demo_store, T.RECS_MODEL, "week").alerts == []
    fraud = model_health(demo_store, T.FRAUD_MODEL, "week")
    assert {a.version for a in fraud.alerts if a.kind == "calibration"} == {"v3", "v4"}
