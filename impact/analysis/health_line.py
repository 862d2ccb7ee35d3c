"""One line of technical health per model for the Overview's cards, the CLI and the report:
quality and its trend, calibration, score drift, fallbacks and latency of the latest
version, from impact.analysis.health (the same figures and alerts as the Model health page).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from impact.analysis.health import ModelHealth, weekly_health
from impact.errors import ImpactError
from impact.store import Store

QUALITY = {"classification": ("roc_auc", "ROC AUC"), "regression": ("mae", "MAE")}


@dataclass(frozen=True)
class HealthLine:
    model: str
    version: str  # the latest version, the one the figures describe
    text: str
    status: str  # "ok", "alert" (the latest version has an alert) or "unknown"
    alerts: int = 0  # alerts on every version


def health_line(store: Store, model: str, health: ModelHealth | None = None) -> HealthLine:
    try:
        health = health or weekly_health(store, model)
    except ImpactError as exc:
        return HealthLine(model, "", f"Health not available: {exc}", "unknown")
    ops = health.operations.sort_values("period")
    if ops.empty:
        return HealthLine(model, "", "No predictions to judge its health by yet.", "unknown")
    latest = ops.iloc[-1]
    version = str(latest["version"])
    week = pd.Timestamp(latest["period"])
    parts = [_quality(health, version, week)]
    if health.task != "regression":
        parts.append(_calibration(health, version))
    parts.append(_drift(health, version))
    parts.append(f"{latest['fallback_share']:.0%} fell back")
    if pd.notna(latest["latency_p95"]):
        parts.append(f"latency p95 {latest['latency_p95']:,.0f} ms")
    mine = [a for a in health.alerts if a.version == version]
    others = len(health.alerts) - len(mine)
    said = (
        f"{_alerts(len(mine))} on {version}: {'; '.join(a.message for a in mine)}."
        if mine
        else f"No alert on {version}."
    )
    if others:
        said += f" Older versions: {_alerts(others)}."
    text = f"{version}, week of {week:%Y-%m-%d}: {', '.join(parts)}. {said}"
    return HealthLine(model, version, text, "alert" if mine else "ok", len(health.alerts))


def _alerts(n: int) -> str:
    return f"{n} alert" if n == 1 else f"{n} alerts"


def _quality(health: ModelHealth, version: str, week: pd.Timestamp) -> str:
    """The latest two weeks with enough labels (the alerts' minimum), so one late week
    with a handful of labels does not make a trend."""
    column, name = QUALITY.get(health.task, ("accuracy", "accuracy"))
    perf = health.performance
    if perf.empty or column not in perf.columns:
        return f"{name}: no labels yet"
    mine = perf[(perf["version"] == version) & perf[column].notna()].sort_values("period")
    enough = mine[mine["labeled"] >= health.thresholds.min_labels]
    weeks = enough if len(enough) else mine
    if weeks.empty:
        return f"{name}: no labels yet"
    last, when = float(weeks[column].iloc[-1]), pd.Timestamp(weeks["period"].iloc[-1])
    said = f"{name} {last:.3f}"
    if when != week:
        said += f" in the week of {when:%Y-%m-%d}, the latest with enough labels"
    if len(weeks) > 1:
        before = float(weeks[column].iloc[-2])
        earlier = f"{pd.Timestamp(weeks['period'].iloc[-2]):%Y-%m-%d}"
        trend = (
            "level with"
            if math.isclose(last, before, abs_tol=5e-4)
            else ("up from" if last > before else "down from")
        )
        said += f" ({trend} {before:.3f} in the week of {earlier})"
    return said


def _calibration(health: ModelHealth, version: str) -> str:
    off = [a for a in health.alerts if a.kind == "calibration" and a.version == version]
    return "calibration off (see the alert)" if off else "calibrated within limits"


def _drift(health: ModelHealth, version: str) -> str:
    drift = health.drift
    score = drift[(drift["column"] == "score") & (drift["version"] == version)]
    if score.empty:
        return "score drift not measured yet"
    last = score.sort_values("period").iloc[-1]
    return f"score drift PSI {last['psi']:.2f} ({last['psi_label']})"
