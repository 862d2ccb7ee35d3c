"""Everything the Model health page shows for one model, assembled in one call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from impact.analysis.health import ModelHealth, model_health, version_comparison
from impact.analysis.value import decision_assumptions, decision_value_series, study_value
from impact.errors import ImpactError
from impact.store import Store


@dataclass(frozen=True)
class ModelView:
    health: ModelHealth
    comparison: pd.DataFrame  # one row per version
    reliability: pd.DataFrame  # version × score bin over the whole window
    money: pd.DataFrame  # period, value, cumulative (and version where it applies)
    money_source: str  # what the money series is, or why there is none


def model_view(
    store: Store,
    model: str,
    period: str = "week",
    reference: tuple[datetime, datetime] | None = None,
) -> ModelView:
    """`reference` is the drift reference window (default: model_health's)."""
    health = model_health(store, model, period, reference)
    money, source = _money(store, model, health)
    comparison = version_comparison(store, model, reference)
    if "per_prediction" in money.columns and not money.empty:
        per_version = money.groupby("version")[["value", "labelled"]].sum()
        per_prediction = (per_version["value"] / per_version["labelled"]).rename(
            "value_per_prediction"
        )
        comparison = comparison.merge(
            per_prediction, left_on="version", right_index=True, how="left"
        )
    return ModelView(health, comparison, overall_reliability(health.calibration), money, source)


def overall_reliability(calibration: pd.DataFrame) -> pd.DataFrame:
    """Pool the per-period reliability bins: counts add, means weight by count."""
    if calibration.empty:
        return calibration
    frame = calibration.assign(
        score_sum=calibration["mean_score"] * calibration["n"],
        label_sum=calibration["mean_label"] * calibration["n"],
    )
    pooled = frame.groupby(["version", "bin"], as_index=False)[
        ["n", "score_sum", "label_sum"]
    ].sum()
    pooled = pooled[pooled["n"] > 0]
    return pooled.assign(
        mean_score=pooled["score_sum"] / pooled["n"], mean_label=pooled["label_sum"] / pooled["n"]
    )[["version", "bin", "n", "mean_score", "mean_label"]]


def _money(store: Store, model: str, health: ModelHealth) -> tuple[pd.DataFrame, str]:
    """Realised value of the model's A/B study or rollout, else its decisions' value."""
    studies = sorted(store.catalog.studies(), key=lambda s: s.kind)  # A/B tests first
    for study in studies:
        if study.model != model or not study.primary_metric:
            continue
        try:
            v = study_value(store, study.name)
        except ImpactError as exc:
            return pd.DataFrame(), f"{study.name}: {exc}"
        series = v.realised.rename(columns={"day": "period", "value": "cumulative"})
        reached = (
            f"{v.arm} in {study.name}"
            if study.kind == "ab"
            else f"the rollout {study.name} on its treated units' outcomes"
        )
        level = f"{100 * (1 - v.per_unit.alpha):g}%"  # the study's own alpha
        return series, (
            f"Realised value of {reached} ({v.rate.currency}, cumulative, with its {level} "
            "interval)"
        )
    if health.task == "classification" and not health.performance.empty:
        try:
            series = decision_value_series(store, model, health.performance)
        except ImpactError as exc:
            return pd.DataFrame(), str(exc)
        matrix = "; ".join(
            f"{a.name} = {a.value:,.2f} {a.unit} v{a.version}"
            for a in decision_assumptions(store, model)
        )
        return series, (
            f"Value of labelled decisions, value matrix × confusion matrix "
            f"({matrix}); edit on the Metrics page."
        )
    return pd.DataFrame(), "No study or value matrix gives this model a money value yet."
