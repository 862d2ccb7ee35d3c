"""Model health over time and by version: what the CLI, pages and reports call.

SQL (impact.queries.health) reduces predictions joined to labels to per version × period
summaries on one warehouse connection; impact.monitor turns them into metrics and alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from impact.analysis.health_drift import KEYS, by_version_period, feature_drift
from impact.catalog import Model
from impact.errors import InvalidInput, NotFound
from impact.monitor import calibration as cal
from impact.monitor import classification as cls
from impact.monitor import drift as dr
from impact.monitor.alerts import Alert, Thresholds, find_alerts
from impact.monitor.regression import regression_metrics
from impact.queries import health as q
from impact.store import Store
from impact.vocabulary import HealthPeriod, check_choice

REFERENCE_DAYS = 28  # default reference window: the model's first four weeks
NOTES = (
    dr.PSI_NOTE + ".",
    "Drift p-values: Kolmogorov–Smirnov (numbers, Smirnov's asymptotic distribution) or "
    "chi-square without continuity correction (categories).",
    "A drift alert needs PSI above its threshold and a p-value below alpha, because PSI "
    "alone is noisy in small periods.",
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
    alerts: list[Alert]
    thresholds: Thresholds
    notes: tuple[str, ...] = field(default=NOTES)

    def alerts_frame(self) -> pd.DataFrame:
        columns = list(Alert.__dataclass_fields__)
        return pd.DataFrame([a.record() for a in self.alerts], columns=columns)


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

    Drift compares each period with the `reference` window [start, end) (default: the
    model's first 28 days). `min_confidence` counts scores below it as fallbacks;
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
    """One row per version: operations, metrics over all its labels, and score drift."""
    health = _health(store, model, "all", reference, min_confidence, score_decimals, None)
    table = _utc(health.operations).merge(
        _utc(health.performance), on=KEYS, how="left", suffixes=("", "_")
    )
    score = health.drift[health.drift["column"] == "score"]
    score = score[KEYS + ["psi", "js_distance", "ks_d", "p_value"]].rename(
        columns=lambda c: c if c in KEYS else f"score_{c}"
    )
    table = table.merge(_utc(score), on=KEYS, how="left").drop(columns="period")
    return table.loc[:, ~table.columns.str.endswith("_")]


def _model(store: Store, name: str) -> Model:
    models = {m.name: m for m in store.catalog.models()}
    if name not in models:
        raise NotFound(f"No model named {name!r}. Known models: {', '.join(models) or '(none)'}.")
    return models[name]


def _health(store, model, period, reference, min_confidence, score_decimals, thresholds):
    record = _model(store, model)
    limits = thresholds or Thresholds()
    with store.warehouse.session() as db:
        first, _ = q.model_span(db, model)
        if first is None:
            raise NotFound(f"Model {model!r} has no stored predictions yet.")
        if reference is None:
            start = pd.Timestamp(first).floor("D").to_pydatetime()
            reference = (start, start + timedelta(days=REFERENCE_DAYS))
        if reference[0] >= reference[1]:
            raise InvalidInput("The reference window must end after it starts.")
        ops = q.operations(db, model, period, min_confidence=min_confidence)
        calibration = pd.DataFrame(columns=KEYS + ["bin", "n", "mean_score", "mean_label"])
        reference_auc = None
        if record.task == "regression":
            performance = _regression(q.regression_sums(db, model, period))
        else:
            counts = q.score_label_counts(db, model, period, score_decimals=score_decimals)
            bins = q.calibration_bins(db, model, period)
            conf = q.confusion_counts(db, model, record.decision_threshold, period)
            performance = _classification(conf, counts, bins)
            calibration = _reliability(bins)
            ref = q.score_label_counts(db, model, "all", reference, score_decimals)
            reference_auc = cls.roc_auc(ref["score"], ref["positives"], ref["negatives"])
        drift = feature_drift(db, model, period, reference)
    alerts = find_alerts(
        ops, drift, performance if record.task != "regression" else None, reference_auc, limits
    )
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
        alerts,
        limits,
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
    scores = pd.DataFrame(rows, columns=KEYS + ["roc_auc", "pr_auc", "log_loss"])
    rows = []
    for (version, period), b in by_version_period(bins):
        labeled = int(b["n"].sum())
        rows.append(
            {
                "version": version,
                "period": period,
                "labeled": labeled,
                "ece": cal.expected_calibration_error(b["n"], b["mean_score"], b["mean_label"]),
                "brier": cal.brier_score(float(b["sum_squared_error"].sum()), labeled),
            }
        )
    calib = pd.DataFrame(rows, columns=KEYS + ["labeled", "ece", "brier"])
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
