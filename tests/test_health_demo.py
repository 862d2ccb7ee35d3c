"""The demo fraud model's injected score drift is flagged on the day it starts, not before."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from impact.analysis.health import model_health, version_comparison
from impact.demo import truth as T
from impact.errors import InvalidInput, NotFound


@pytest.fixture(scope="module")
def fraud(demo_store):
    reference = (T.FRAUD_START + timedelta(days=31), T.V4_FROM)  # June and July
    return model_health(demo_store, T.FRAUD_MODEL, "day", reference)


def test_drift_is_flagged_on_the_drift_date_and_not_before(fraud):
    # Alerts are evaluated per week whatever the tables' period (issue 11): the alert is on
    # the drift's week, Monday 2026-09-14, and the daily drift table shows the shift from
    # the drift's day on. Monitoring starts where the June–July reference ends (Monday
    # 2026-08-03, the first week boundary after 2026-08-01), so the days checked before the
    # drift are the 43 from then on (before the fix every day, reference days included).
    drift = [a for a in fraud.alerts if a.kind == "drift"]
    assert [(a.subject, a.version) for a in drift] == [("score", "v4")]
    assert pd.Timestamp(drift[0].first_period) == pd.Timestamp("2026-09-14", tz="UTC")
    assert pd.Timestamp(fraud.monitored_from) == pd.Timestamp("2026-08-03", tz="UTC")
    rows = fraud.drift
    shifted = rows[(rows.psi > fraud.thresholds.psi) & (rows.p_value < 0.001)]
    assert pd.Timestamp(shifted.period.min()) == pd.Timestamp(T.DRIFT_DATE)
    assert set(shifted.column) == {"score"}
    before = rows[rows.period < pd.Timestamp(T.DRIFT_DATE)]
    assert len(before) == 43 * 3  # every monitored day before the drift, for 3 columns


def test_daily_tables_cover_every_version_and_day(fraud):
    days = (T.DEMO_END - T.FRAUD_START).days
    assert len(fraud.operations) == days  # the switch to v4 is at midnight
    assert set(fraud.operations.version) == {"v3", "v4"}
    assert fraud.threshold == T.FRAUD_THRESHOLD and fraud.task == "classification"
    # Labels arrive 20-60 days late: the last 20 days have none.
    recent = fraud.operations[fraud.operations.period >= pd.Timestamp(T.DEMO_END - timedelta(20))]
    assert (recent.label_coverage == 0).all()
    assert fraud.operations.label_delay_days.dropna().between(*T.LABEL_DELAY_DAYS).all()
    assert set(fraud.calibration.bin) <= set(range(10))


def test_version_comparison(demo_store):
    table = version_comparison(demo_store, T.FRAUD_MODEL)
    assert table.version.tolist() == ["v3", "v4"]
    assert (table.roc_auc > 0.9).all()
    assert table.label_coverage.iloc[0] > table.label_coverage.iloc[1]


def test_unknown_model_and_bad_options_are_explained(demo_store):
    with pytest.raises(NotFound, match="Known models"):
        model_health(demo_store, "no-such-model")
    with pytest.raises(InvalidInput, match="period"):
        model_health(demo_store, T.FRAUD_MODEL, "month")
    with pytest.raises(InvalidInput, match="reference"):
        model_health(demo_store, T.FRAUD_MODEL, "week", (T.V4_FROM, T.FRAUD_START))
