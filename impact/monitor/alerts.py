"""Alerts: which health figure crossed its threshold, for which version, and when first.

Figures from small groups are noisy, so drift needs both the PSI rule of thumb and a
significant test, and label-based metrics need enough labelled rows in the period.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from impact.vocabulary import HealthPeriod


@dataclass(frozen=True)
class Thresholds:
    # Alerts are evaluated per week whatever period a chart shows, so a model has one alert
    # list: a week holds enough labels for the label-based checks (min_labels), and 7 times
    # fewer tests than days means fewer alerts from noise.
    cadence: HealthPeriod = "week"
    psi: float = 0.25  # PSI rule of thumb for a significant shift
    drift_alpha: float = 0.001  # KS or chi-square p-value below this confirms the shift
    max_fallback_share: float = 0.05
    max_latency_p99_ms: float | None = None
    max_ece: float = 0.10
    max_auc_drop: float = 0.05  # below the reference window's ROC AUC
    min_rows: int = 100  # operations alerts only from periods with this many predictions
    min_labels: int = 100  # label-based alerts only from periods with this many labels


@dataclass(frozen=True)
class Alert:
    kind: str  # drift, operations, calibration, performance
    version: str
    subject: str  # column or metric
    first_period: object
    last_period: object
    periods: int  # how many periods crossed
    first_value: float
    threshold: float
    message: str

    def record(self) -> dict:
        return asdict(self)


def _crossings(
    frame: pd.DataFrame,
    mask: pd.Series,
    kind: str,
    subject_col: str | None,
    subject: str,
    value_col: str,
    threshold: float,
    describe: str,
) -> list[Alert]:
    hits = frame[mask.fillna(False).astype(bool)].sort_values("period")
    keys = ["version"] + ([subject_col] if subject_col else [])
    alerts = []
    for key, rows in hits.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        name = key[1] if subject_col else subject
        first = rows.iloc[0]
        alerts.append(
            Alert(
                kind=kind,
                version=str(key[0]),
                subject=str(name),
                first_period=first["period"],
                last_period=rows.iloc[-1]["period"],
                periods=len(rows),
                first_value=float(first[value_col]),
                threshold=float(threshold),
                message=describe.format(name=name, value=float(first[value_col])),
            )
        )
    return alerts


def find_alerts(
    operations: pd.DataFrame,
    drift: pd.DataFrame,
    classification: pd.DataFrame | None,
    reference_auc: float | None,
    limits: Thresholds,
    monitored_from=None,
) -> list[Alert]:
    """Every (kind, version, subject) that crossed a threshold in some period.

    The drop in ROC AUC is measured against the reference window, so it is checked only on
    periods from `monitored_from` (the reference's end) when given; `drift` is expected to
    hold monitored periods only."""
    busy = operations["n"] >= limits.min_rows
    alerts = _crossings(
        operations,
        busy & (operations["fallback_share"] > limits.max_fallback_share),
        "operations",
        None,
        "fallback_share",
        "fallback_share",
        limits.max_fallback_share,
        "{value:.1%} of predictions fell back",
    )
    if limits.max_latency_p99_ms is not None:
        alerts += _crossings(
            operations,
            busy & (operations["latency_p99"] > limits.max_latency_p99_ms),
            "operations",
            None,
            "latency_p99",
            "latency_p99",
            limits.max_latency_p99_ms,
            "latency p99 {value:.0f} ms",
        )
    if not drift.empty:
        shifted = (drift["psi"] > limits.psi) & (drift["p_value"] < limits.drift_alpha)
        alerts += _crossings(
            drift,
            shifted,
            "drift",
            "column",
            "",
            "psi",
            limits.psi,
            "{name} drifted: PSI {value:.2f} (significant by the rule of thumb) "
            f"and p < {limits.drift_alpha:g}",
        )
    if classification is not None and not classification.empty:
        enough = classification["labeled"] >= limits.min_labels
        alerts += _crossings(
            classification,
            enough & (classification["ece"] > limits.max_ece),
            "calibration",
            None,
            "ece",
            "ece",
            limits.max_ece,
            "expected calibration error {value:.3f}",
        )
        if reference_auc is not None and not math.isnan(reference_auc):
            floor = reference_auc - limits.max_auc_drop
            monitored = True
            if monitored_from is not None:
                periods = pd.to_datetime(classification["period"], utc=True)
                monitored = periods >= pd.Timestamp(monitored_from)
            alerts += _crossings(
                classification,
                enough & monitored & (classification["roc_auc"] < floor),
                "performance",
                None,
                "roc_auc",
                "roc_auc",
                floor,
                f"ROC AUC {{value:.3f}}, below the reference {reference_auc:.3f}",
            )
    return sorted(alerts, key=lambda a: (str(a.first_period), a.kind, a.version, a.subject))
