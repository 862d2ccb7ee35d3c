"""Alerts: which health figure crossed its threshold, for which version, and when first.

Figures from small groups are noisy, so every alert on a statistic needs both its rule of
thumb and a significant test (p below `alpha`): drift, PSI and a KS or chi-square test;
calibration, ECE and Hosmer–Lemeshow's test; a drop in ROC AUC, the drop and a one-sided
z-test of it with DeLong's standard errors of the period's and the reference's AUC
(independent, as the windows do not overlap). Label-based metrics also need enough
labelled rows in the period.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from impact.vocabulary import HealthPeriod


@dataclass(frozen=True)
class Thresholds:
    # Alerts are evaluated per week whatever period a chart shows, so a model has one alert
    # list: a week holds enough labels for the label-based checks (min_labels), and 7 times
    # fewer tests than days means fewer alerts from noise.
    cadence: HealthPeriod = "week"
    psi: float = 0.25  # PSI rule of thumb for a significant shift
    # A test's p-value below this confirms a crossing: with a few models × versions ×
    # columns × weeks tested, 0.001 keeps false alarms rare (scripts/health_false_alerts.py).
    drift_alpha: float = 0.001
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


def _dropped(classification: pd.DataFrame, auc: float, auc_se: float, alpha: float) -> pd.Series:
    """One-sided z-test that the period's AUC is below the reference's."""
    se = np.sqrt(classification["roc_auc_se"] ** 2 + auc_se**2)
    z = (auc - classification["roc_auc"]) / se
    return pd.Series(stats.norm.sf(z) < alpha, index=classification.index).where(se > 0, False)


def find_alerts(
    operations: pd.DataFrame,
    drift: pd.DataFrame,
    classification: pd.DataFrame | None,
    reference_auc: tuple[float, float] | None,
    limits: Thresholds,
    monitored_from=None,
) -> list[Alert]:
    """Every (kind, version, subject) that crossed a threshold, significantly, in some period.

    `classification` has per period labeled, ece, calibration_p, roc_auc and roc_auc_se;
    `reference_auc` is the reference window's (AUC, DeLong standard error). The drop in
    ROC AUC is measured against the reference window, so it is checked only on periods
    from `monitored_from` (the reference's end) when given; `drift` is expected to hold
    monitored periods only."""
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
        miscalibrated = (classification["ece"] > limits.max_ece) & (
            classification["calibration_p"] < limits.drift_alpha
        )
        alerts += _crossings(
            classification,
            enough & miscalibrated,
            "calibration",
            None,
            "ece",
            "ece",
            limits.max_ece,
            "expected calibration error {value:.3f} (Hosmer–Lemeshow "
            f"p < {limits.drift_alpha:g})",
        )
        if reference_auc is not None and not math.isnan(reference_auc[0]):
            auc, auc_se = reference_auc
            floor = auc - limits.max_auc_drop
            monitored = True
            if monitored_from is not None:
                periods = pd.to_datetime(classification["period"], utc=True)
                monitored = periods >= pd.Timestamp(monitored_from)
            alerts += _crossings(
                classification,
                enough
                & monitored
                & (classification["roc_auc"] < floor)
                & _dropped(classification, auc, auc_se, limits.drift_alpha),
                "performance",
                None,
                "roc_auc",
                "roc_auc",
                floor,
                f"ROC AUC {{value:.3f}}, below the reference {auc:.3f} "
                f"(DeLong z-test p < {limits.drift_alpha:g})",
            )
    return sorted(alerts, key=lambda a: (str(a.first_period), a.kind, a.version, a.subject))
