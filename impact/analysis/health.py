"""Model health over time and by version: what the CLI, pages and reports call.

SQL (impact.queries.health) reduces predictions joined to labels to per version × period
summaries on one warehouse connection; impact.monitor turns them into metrics and alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from impact.analysis.health_drift import KEYS, by_version_period, feature_drift
from impact.catalog import Model
from impact.errors import NotFound
from impact.monitor import calibration as cal
from impact.monitor import classification as cls
from impact.monitor import drift as dr
from impact.monitor.alerts import Alert, Thresholds, find_alerts
from impact.monitor.regression import regression_metrics
from impact.monitor.window import (
    REFERENCE_DAYS,
    BadReference,
    ReferenceOverlap,
    default_reference,
    monitored_from,
)
from impact.queries import health as q
from impact.store import Store
from impact.vocabulary import HealthPeriod, check_choice

# The reference errors model_health raises are re-exported: callers catch them from here.
__all__ = [
    "REFERENCE_DAYS",
    "BadReference",
    "ModelHealth",
    "ReferenceOverlap",
    "default_drift_reference",
    "model_health",
    "version_comparison",
]
NOTES = (
    dr.PSI_NOTE + ".",
    "Drift p-values: Kolmogorov–Smirnov (numbers, Smirnov's asymptotic distribution) or "
    "chi-square without continuity correction (categories).",
    "A drift alert needs PSI above its threshold and a p-value below alpha, because PSI "
    "alone is noisy in small periods.",
    "Likewise a calibration alert needs ECE above its threshold and Hosmer–Lemeshow's test "
    "(one degree of freedom per score bin) below alpha, and an ROC AUC alert a drop beyond "
    "its threshold and a one-sided z-test of the drop (DeLong standard errors) below "
    "alpha: a calibrated score reaches ECE 0.12 with 120 labels by chance.",
)


@dataclass(frozen=True)
class ModelHealth:
    model: str
    task: str
    threshold: float
    period: str
    reference: tuple[datetime, datetime]
    operations: pd.DataFrame  # volume, latency, fallbacks, labels per version × period
    performance: pd.DataFrame  # classification or regression metrics per version × period
    calibration: pd.DataFrame  # reliability table per version × period × bin
    drift: pd.DataFrame  # per version × period × column: PSI, JS, KS or chi-square
    alerts: list[Alert]  # evaluated per `cadence`, the same whatever `period` is
    thresholds: Thresholds
    monitored_from: datetime  # drift and AUC-drop alerts cover periods from here on
    notes: tuple[str, ...] = field(default=NOTES)

    @property
    def cadence(self) -> str:
        return self.thresholds.cadence

    def alerts_frame(self) -> pd.DataFrame:
        columns = list(Alert.__dataclass_fields__)
        return pd.DataFrame([a.record() for a in self.alerts], columns=columns)


_WEEKLY: dict[tuple, ModelHealth] = {}


def weekly_health(store: Store, model: str) -> ModelHealth:
    """`model_health(store, model, "week")`, remembered until any data or definition
    changes: the Overview's cards, their health lines and the evidence checks of every
    study of the model all read the same one (it is the slow part of the Overview)."""
    from impact.analysis.portfolio import data_version

    key = (str(store.warehouse.path), store.catalog.url, data_version(store), model)
    if key not in _WEEKLY:
        if len(_WEEKLY) > 64:
            _WEEKLY.clear()
        _WEEKLY[key] = model_health(store, model, "week")
    return _WEEKLY[key]


def model_health(
    store: Store,
    model: str,
    period: HealthPeriod = "day",
    reference: tuple[datetime, datetime] | None = None,
    *,
    min_confidence: float | None = None,
    score_decimals: int | None = None,
    thresholds: Thresholds | None = None,
) -> ModelHealth:
    """Every health figure of `model` per version and day or week, with its alerts.

    Alerts are evaluated per `thresholds.cadence` (a week) whatever `period` the tables
    have, so every view of a model lists the same alerts. Drift compares each period with
    the `reference` window [start, end) (default: the model's first 28 days, at most the
    first half of its data, ending on a week boundary; see impact.monitor.window); only
    periods from the first cadence boundary at or after its end are monitored, so none
    overlaps the reference, and a reference leaving nothing to monitor is refused
    (ReferenceOverlap). `min_confidence` counts scores below it as fallbacks;
    `score_decimals` rounds scores before the rank metrics (exact for rounded scores)."""
    check_choice("period", period, HealthPeriod)
    return _health(store, model, period, reference, min_confidence, score_decimals, thresholds)


def version_comparison(
    store: Store,
    model: str,
    reference: tuple[datetime, datetime] | None = None,
    *,
    min_confidence: float | None = None,
    score_decimals: int | None = None,
) -> pd.DataFrame:
    """One row per version: operations, metrics over all its labels, and score drift of its
    monitored rows (those after the reference window) against the reference."""
    health = _health(
        store, model, "all", reference, min_confidence, score_decimals, None, alerts=False
    )
    table = _utc(health.operations).merge(
        _utc(health.performance), on=KEYS, how="left", suffixes=("", "_")
    )
    score = health.drift[health.drift["column"] == "score"]
    score = score[KEYS + ["psi", "js_distance", "ks_d", "p_value"]].rename(
        columns=lambda c: c if c in KEYS else f"score_{c}"
    )
    table = table.merge(_utc(score), on=KEYS, how="left").drop(columns="period")
    return table.loc[:, ~table.columns.str.endswith("_")]


def default_drift_reference(
    store: Store, model: str, thresholds: Thresholds | None = None
) -> tuple[datetime, datetime]:
    """The reference window model_health uses when none is given (for a page's widget)."""
    _model(store, model)
    first, last = q.model_span(store.warehouse, model)
    if first is None:
        raise NotFound(f"Model {model!r} has no stored predictions yet.")
    return default_reference(first, last, (thresholds or Thresholds()).cadence)


def _model(store: Store, name: str) -> Model:
    models = {m.name: m for m in store.catalog.models()}
    if name not in models:
        raise NotFound(f"No model named {name!r}. Known models: {', '.join(models) or '(none)'}.")
    return models[name]


def _health(
    store, model, period, reference, min_confidence, score_decimals, thresholds, alerts=True
):
    record = _model(store, model)
    limits = thresholds or Thresholds()
    cadence = check_choice("alert cadence", limits.cadence, HealthPeriod)
    with store.warehouse.session() as db:
        first, last = q.model_span(db, model)
        if first is None:
            raise NotFound(f"Model {model!r} has no stored predictions yet.")
        given = reference is not None
        if not given:
            reference = default_reference(first, last, cadence)
        start = monitored_from(reference, first, last, cadence) if given else reference[1]
        reference_auc = None
        if record.task != "regression":
            ref = q.score_label_counts(db, model, "all", reference, score_decimals)
            reference_auc = (
                cls.roc_auc(ref["score"], ref["positives"], ref["negatives"]),
                cls.roc_auc_se(ref["score"], ref["positives"], ref["negatives"]),
            )
        tables = _tables(db, record, period, reference, start, min_confidence, score_decimals)
        watched = tables
        if alerts and period != cadence:
            watched = _tables(
                db, record, cadence, reference, start, min_confidence, score_decimals, False
            )
    ops, performance, calibration, drift = tables
    found = _alerts(watched, record.task, reference_auc, start, limits) if alerts else []
    return ModelHealth(
        model,
        record.task,
        record.decision_threshold,
        period,
        tuple(reference),
        ops,
        performance,
        calibration,
        drift,
        found,
        limits,
        start,
        NOTES + _window_notes(reference, start, cadence, given),
    )


def _tables(db, record, period, reference, start, min_confidence, score_decimals, reliability=True):
    """Operations, performance, reliability and drift per version × `period`; drift only
    for the monitored periods (from `start`). Alerts need no reliability table."""
    model = record.name
    ops = q.operations(db, model, period, min_confidence=min_confidence)
    calibration = pd.DataFrame(columns=KEYS + ["bin", "n", "mean_score", "mean_label"])
    if record.task == "regression":
        performance = _regression(q.regression_sums(db, model, period))
    else:
        counts = q.score_label_counts(db, model, period, score_decimals=score_decimals)
        bins = q.calibration_bins(db, model, period)
        conf = q.confusion_counts(db, model, record.decision_threshold, period)
        performance = _classification(conf, counts, bins)
        if reliability:
            calibration = _reliability(bins)
    drift = feature_drift(db, model, period, reference, start)
    return ops, performance, calibration, drift


def _alerts(tables, task, reference_auc, start, limits) -> list[Alert]:
    """Alerts from the cadence's tables. The AUC drop is measured against the reference,
    so, like drift, it is checked on monitored periods only."""
    ops, performance, _, drift = tables
    classification = performance if task != "regression" else None
    return find_alerts(ops, drift, classification, reference_auc, limits, monitored_from=start)


def _window_notes(reference, start, cadence, given) -> tuple[str, ...]:
    begin, end = (f"{t:%Y-%m-%d}" for t in reference)
    how = (
        "as given"
        if given
        else f"the model's first {REFERENCE_DAYS} days at most, and at most half of its "
        f"data, ending on a {cadence} boundary"
    )
    return (
        f"Alerts are evaluated per {cadence} (weeks start Monday 00:00 UTC) whatever "
        "period the tables and charts show, so every view lists the same alerts.",
        f"Drift reference {begin} to {end} (exclusive; {how}); drift is monitored from "
        f"{start:%Y-%m-%d} on, so no monitored period overlaps the reference.",
    )


def _classification(conf, counts, bins) -> pd.DataFrame:
    rows = []
    for (version, period), c in by_version_period(counts):
        rows.append(
            {
                "version": version,
                "period": period,
                **cls.score_metrics(c["score"], c["positives"], c["negatives"]),
            }
        )
    scores = pd.DataFrame(rows, columns=KEYS + ["roc_auc", "roc_auc_se", "pr_auc", "log_loss"])
    rows = []
    for (version, period), b in by_version_period(bins):
        labeled = int(b["n"].sum())
        rows.append(
            {
                "version": version,
                "period": period,
                "labeled": labeled,
                "ece": cal.expected_calibration_error(b["n"], b["mean_score"], b["mean_label"]),
                "calibration_p": cal.calibration_test(b["n"], b["mean_score"], b["mean_label"])[2],
                "brier": cal.brier_score(float(b["sum_squared_error"].sum()), labeled),
            }
        )
    calib = pd.DataFrame(rows, columns=KEYS + ["labeled", "ece", "calibration_p", "brier"])
    threshold = pd.DataFrame(
        [cls.threshold_metrics(r.tp, r.fp, r.tn, r.fn) for r in conf.itertuples()],
        columns=["accuracy", "precision", "recall", "f1"],
    )
    table = _utc(pd.concat([conf.reset_index(drop=True), threshold], axis=1))
    table = table.merge(_utc(scores), on=KEYS, how="left").merge(_utc(calib), on=KEYS, how="left")
    first = KEYS + ["labeled"]
    return table[first + [c for c in table.columns if c not in first]]


def _regression(sums: pd.DataFrame) -> pd.DataFrame:
    metrics = [
        regression_metrics(
            r.n, r.sum_abs_error, r.sum_squared_error, r.sum_abs_pct_error or 0, r.n_pct
        )
        for r in sums.itertuples()
    ]
    table = pd.DataFrame(metrics, columns=["mae", "rmse", "mape"])
    return pd.concat([sums[KEYS + ["n"]].rename(columns={"n": "labeled"}), table], axis=1)


def _reliability(bins: pd.DataFrame) -> pd.DataFrame:
    parts = [
        cal.reliability(b).assign(version=v, period=p) for (v, p), b in by_version_period(bins)
    ]
    if not parts:
        return pd.DataFrame(columns=KEYS + ["bin", "n", "mean_score", "mean_label", "gap"])
    table = pd.concat(parts, ignore_index=True)
    return table[KEYS + [c for c in table.columns if c not in KEYS]]


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    """One period dtype for merging frames rebuilt in pandas (all-NaT when period="all")."""
    return frame.assign(period=pd.to_datetime(frame["period"], utc=True))
