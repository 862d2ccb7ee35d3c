"""What a study's effect is worth: money per unit, per year, ROI and realised so far."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from impact.analysis.ab import experiment_readout
from impact.analysis.portfolio import experiment_enrolment
from impact.catalog import Study
from impact.errors import InvalidInput, NotEstimable
from impact.stats.estimate import Estimate
from impact.store import Store
from impact.value.money import (
    Assumption,
    MoneyRate,
    Return,
    annual_value,
    money_rate,
    per_unit_value,
    return_on_cost,
)


@dataclass(frozen=True)
class StudyValue:
    study: str
    model: str
    metric: str
    arm: str
    effect: Estimate  # metric units per affected unit
    rate: MoneyRate
    per_unit: Estimate  # money per affected unit
    annual: Estimate  # money per year
    returns: Return | None
    assumptions: tuple[Assumption, ...]  # every assumption these figures use
    realised: pd.DataFrame  # day, units, cumulative value with its interval


def current_assumptions(store: Store) -> dict[tuple[str, str], Assumption]:
    out = {}
    for a in store.catalog.assumptions():
        if a.value is not None:
            out[(a.name, a.scope)] = Assumption(
                a.name, a.value, a.unit, a.version, a.scope, a.se or 0.0
            )
    return out


def _lookup(table: dict, name: str, scope: str) -> Assumption | None:
    return table.get((name, scope)) or table.get((name, ""))


lookup_assumption = _lookup  # the model's own value, else the global one


def decision_value_estimate(store: Store, model: str) -> tuple[Estimate | None, str]:
    """Money per prediction of the model's latest version from its labelled decisions
    (Σ V·CM / n, multinomial standard error), or None without a full value matrix."""
    from impact.queries.health import confusion_counts
    from impact.value.classifier import ASSUMPTION_NAMES, decision_value

    table = current_assumptions(store)
    values = {
        cell: a.value
        for cell, name in ASSUMPTION_NAMES.items()
        if (a := _lookup(table, name, model)) is not None
    }
    record = next((m for m in store.catalog.models() if m.name == model), None)
    if record is None or len(values) < len(ASSUMPTION_NAMES):
        return None, ""
    counts = confusion_counts(store.warehouse, model, record.decision_threshold, "all")
    if counts.empty:
        return None, ""
    latest = counts.sort_values("version").iloc[-1]
    confusion = {c: int(latest[c]) for c in ("tn", "fp", "fn", "tp")}
    v = decision_value(confusion, values)
    estimate = Estimate.from_se(
        v.per_prediction,
        v.per_prediction_se,
        n={"labelled": v.n},
        method=f"value matrix × the confusion matrix of {latest['version']}'s "
        f"{v.n:,} labelled decisions",
        label=f"{model} {latest['version']}: value per prediction",
    )
    return estimate, str(latest["version"])


def study_value(store: Store, study_name: str | Study, arm: str | None = None) -> StudyValue:
    """The primary metric's effect of `arm` (default: the best arm) in money."""
    study = study_name if isinstance(study_name, Study) else store.catalog.study(study_name)
    if not study.primary_metric:
        raise InvalidInput(f"Study {study.name!r} has no primary metric to value.")
    metric = store.catalog.metric(study.primary_metric)
    if study.kind == "did":
        effect, chosen = _rollout_effect(store, study), "rollout"
    else:
        effect, chosen = _best_arm(store, study, metric, arm)
    table = current_assumptions(store)
    currency = next(
        (a.text for a in store.catalog.assumptions() if a.name == "currency" and a.text), "USD"
    )
    rate_assumption = (
        _lookup(table, metric.rate_assumption, study.model) if metric.rate_assumption else None
    )
    if metric.rate_assumption and rate_assumption is None:
        raise NotEstimable(
            f"Metric {metric.name} needs the assumption "
            f"{metric.rate_assumption!r}; set it on the Metrics page."
        )
    rate = money_rate(
        direction=metric.direction,
        value_kind=metric.value_kind,
        unit=metric.unit,
        value_per_unit=metric.value_per_unit,
        rate=rate_assumption,
        currency=currency,
    )
    volume = _lookup(table, "yearly_volume", study.model)
    if volume is None:
        raise NotEstimable(
            f"Set the yearly_volume assumption for {study.model or 'the model'}"
            " to annualise its value."
        )
    cost = _lookup(table, "running_cost", study.model)
    per_unit = per_unit_value(
        effect,
        rate,
        label=f"{chosen}: value per {study.unit if study.kind == 'ab' else 'observation'}",
    )
    annual = annual_value(effect, rate, volume.value, volume.se)
    used = tuple(a for a in (rate_assumption, volume, cost) if a is not None)
    return StudyValue(
        study.name,
        study.model,
        metric.name,
        chosen,
        effect,
        rate,
        per_unit,
        annual,
        return_on_cost(annual, cost.value) if cost else None,
        used,
        _realised(store, study.name, chosen, per_unit),
    )


def break_even_effect(store: Store, study: Study) -> float | None:
    """The effect per affected unit, in the primary metric's units, whose yearly value just
    pays the model's running cost; None without a metric, volume, cost or money rate."""
    if not study.primary_metric:
        return None
    metric = store.catalog.metric(study.primary_metric)
    table = current_assumptions(store)
    volume = _lookup(table, "yearly_volume", study.model)
    cost = _lookup(table, "running_cost", study.model)
    rate_assumption = (
        _lookup(table, metric.rate_assumption, study.model) if metric.rate_assumption else None
    )
    if volume is None or cost is None or (metric.rate_assumption and rate_assumption is None):
        return None
    try:
        rate = money_rate(
            direction=metric.direction,
            value_kind=metric.value_kind,
            unit=metric.unit,
            value_per_unit=metric.value_per_unit,
            rate=rate_assumption,
            currency="",
        )
    except NotEstimable:
        return None
    per_unit = abs(rate.per_unit) * volume.value
    return cost.value / per_unit if per_unit else None


def _best_arm(store: Store, study: Study, metric, arm: str | None) -> tuple[Estimate, str]:
    # The primary metric corrected within its family (analysis.ab.correction_family): the
    # same p-value and interval as the Experiments page, the CLI and the verdict.
    readout = experiment_readout(store, study, metrics=[metric.name]).readout
    sign = 1 if metric.direction == "higher" else -1
    candidates = [e for e in readout.estimates if arm is None or e.treatment_arm == arm]
    if not candidates:
        raise NotEstimable(f"No estimate for arm {arm!r} in {study.name!r}.")
    effect = max(candidates, key=lambda e: sign * e.effect)
    return effect, effect.treatment_arm


def _rollout_effect(store: Store, study: str | Study) -> Estimate:
    from impact.analysis.did import rollout_readout

    return rollout_readout(store, study).estimate


def _realised(store: Store, study: str, arm: str, per_unit: Estimate) -> pd.DataFrame:
    """Cumulative value delivered so far: to the units the arm reached, day by day (A/B),
    or to the outcome rows of treated units, period by period (rollouts)."""
    if arm == "rollout":
        return _realised_rollout(store, study, per_unit)
    enrolment = experiment_enrolment(store, study)
    daily = enrolment[enrolment["arm"] == arm].sort_values("day")
    units = daily["units"].cumsum()
    return pd.DataFrame(
        {
            "day": daily["day"].to_numpy(),
            "units": units.to_numpy(),
            "value": units.to_numpy() * per_unit.effect,
            "low": units.to_numpy() * per_unit.ci_low,
            "high": units.to_numpy() * per_unit.ci_high,
        }
    )


def _realised_rollout(store: Store, study: str, per_unit: Estimate) -> pd.DataFrame:
    from impact.analysis.portfolio import rollout_overview

    trends = rollout_overview(store, study).trends
    treated = trends[trends["status"] == "treated"].sort_values("period")
    units = treated["rows"].cumsum().to_numpy()
    return pd.DataFrame(
        {
            "day": treated["period"].to_numpy(),
            "units": units,
            "value": units * per_unit.effect,
            "low": units * per_unit.ci_low,
            "high": units * per_unit.ci_high,
        }
    )


def value_frame(result: StudyValue) -> pd.DataFrame:
    """The figures and the assumptions behind them, for tables and downloads."""
    r = result.returns
    rows = [("value per unit", result.per_unit), ("value per year", result.annual)]
    out = [
        {
            "figure": name,
            "estimate": e.effect,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
            "currency": result.rate.currency,
            "interval": e.details.get("money_interval", ""),
        }
        for name, e in rows
    ]
    if r:
        out.append(
            {
                "figure": "ROI",
                "estimate": r.roi,
                "ci_low": r.roi_low,
                "ci_high": r.roi_high,
                "currency": "",
                "interval": "ends of the yearly value's interval",
            }
        )
        out.append(
            {
                "figure": "payback (months)",
                "estimate": r.payback_months,
                "ci_low": r.payback_low,
                "ci_high": r.payback_high,
                "currency": "",
                "interval": "ends of the yearly value's interval",
            }
        )
    return pd.DataFrame(out)


@dataclass(frozen=True)
class ValueLine:
    study: str
    value: StudyValue | None
    problem: str = ""


def portfolio_value(store: Store) -> list[ValueLine]:
    """Money per year of every A/B study's best arm, or why it cannot be valued yet."""
    lines = []
    for study in store.catalog.studies():
        try:
            lines.append(ValueLine(study.name, study_value(store, study)))
        except (InvalidInput, NotEstimable) as exc:
            lines.append(ValueLine(study.name, None, str(exc)))
    return lines


def decision_assumptions(store: Store, model: str) -> list[Assumption]:
    from impact.value.classifier import ASSUMPTION_NAMES

    table = current_assumptions(store)
    return [
        a for name in ASSUMPTION_NAMES.values() if (a := _lookup(table, name, model)) is not None
    ]


def decision_value_series(store: Store, model: str, performance: pd.DataFrame) -> pd.DataFrame:
    """Money from a classifier's labelled decisions per version and period: Σ V·CM with the
    model's value matrix (value_tp, value_fp, value_fn, value_tn assumptions)."""
    from impact.value.classifier import ASSUMPTION_NAMES, decision_value

    table = current_assumptions(store)
    values = {
        cell: a.value
        for cell, name in ASSUMPTION_NAMES.items()
        if (a := _lookup(table, name, model)) is not None
    }
    rows = []
    for r in performance.itertuples():
        confusion = {c: int(getattr(r, c)) for c in ("tn", "fp", "fn", "tp")}
        if sum(confusion.values()) == 0:
            continue
        v = decision_value(confusion, values)
        rows.append(
            {
                "version": r.version,
                "period": r.period,
                "value": v.total,
                "per_prediction": v.per_prediction,
                "labelled": v.n,
            }
        )
    frame = pd.DataFrame(rows, columns=["version", "period", "value", "per_prediction", "labelled"])
    frame["cumulative"] = frame.sort_values("period")["value"].cumsum()
    return frame
