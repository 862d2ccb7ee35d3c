"""Editing value assumptions: validated, versioned, attributed."""

from __future__ import annotations

import math

from impact.catalog import (
    MetricDefinition,
    MetricDefinitionBase,
    Study,
    StudyBase,
    ValueAssumption,
    Write,
)
from impact.errors import InvalidInput
from impact.options import StudySettings
from impact.store import Store
from impact.vocabulary import Direction, MetricAggregation, StudyKind, ValueKind, check_choice

STANDARD = {
    "loaded_hourly_rate": "currency/hour: what an hour of staff time costs, all-in",
    "yearly_volume": "units per year the model acts on (per model)",
    "running_cost": "currency/year to run the model (per model)",
    "value_tp": "currency per true positive decision, relative to no model (per model)",
    "value_fp": "currency per false positive decision (negative = a cost)",
    "value_fn": "currency per false negative decision",
    "value_tn": "currency per true negative decision",
}


def assumption_names(store: Store) -> list[str]:
    """Standard assumptions, those already set, and rates that metric definitions use."""
    names = set(STANDARD) | {a.name for a in store.catalog.assumptions() if a.value is not None}
    names |= {m.rate_assumption for m in store.catalog.metrics() if m.rate_assumption}
    return sorted(names)


# Assumptions that multiply an effect into money; only these carry an uncertainty through
# (running cost and a classifier's value matrix are taken as known).
UNCERTAIN_OK = ("loaded_hourly_rate", "yearly_volume")
RANGE_Z = 1.959963984540054  # a range is read as a 95% interval: se = width / (2 · 1.96)


def change_assumption(
    store: Store,
    name: str,
    value: float,
    *,
    scope: str = "",
    unit: str = "",
    note: str = "",
    se: float | None = None,
    value_range: tuple[float, float] | None = None,
) -> ValueAssumption:
    """Record a new version; every money figure that uses it changes, nothing else.

    Its uncertainty is a standard error `se`, or a 95% range (low, high) turned into one."""
    store.authorize("edit_assumption")
    name = name.strip()
    if not name:
        raise InvalidInput("Name the assumption, e.g. loaded_hourly_rate.")
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number; got {value!r}.")
    if value < 0 and not name.startswith("value_"):  # decision values may be losses
        raise InvalidInput(f"{name} cannot be negative; got {value:g}.")
    se = _uncertainty(store, name, float(value), se, value_range)
    models = {m.name for m in store.catalog.models()}
    if scope and scope not in models:
        raise InvalidInput(
            f"Scope {scope!r} is not a model; choose one of "
            f"{', '.join(sorted(models)) or '(none)'} or leave it empty for all."
        )
    before = store.catalog.assumption_history(name, scope)
    saved = store.catalog.set_assumption(
        name, float(value), scope=scope, unit=unit, note=note, changed_by=store.user, se=se
    )
    if before and saved.version == before[-1].version:
        return saved  # the same as the current version: nothing changed, nothing to audit
    store.audit(
        "edit_assumption",
        name,
        scope=scope,
        value=float(value),
        se=se,
        unit=unit,
        version=saved.version,
        note=note,
    )
    return saved


def _uncertainty(
    store: Store, name: str, value: float, se: float | None, value_range: tuple | None
) -> float | None:
    if se is not None and value_range is not None:
        raise InvalidInput(f"Give {name} a standard error or a range, not both.")
    if value_range is not None:
        low, high = (float(v) for v in value_range)
        if not (math.isfinite(low) and math.isfinite(high)) or not low <= value <= high:
            raise InvalidInput(
                f"The range of {name} must be two numbers around its value {value:,g}, "
                f"low first; got {low:,g} to {high:,g}."
            )
        se = (high - low) / (2 * RANGE_Z)
    if not se:
        return None
    if not math.isfinite(se) or se < 0:
        raise InvalidInput(f"The standard error of {name} must be a positive number; got {se!r}.")
    rates = {m.rate_assumption for m in store.catalog.metrics() if m.rate_assumption}
    if name not in {*UNCERTAIN_OK, *rates}:
        raise InvalidInput(
            f"{name} is taken as known: only the yearly volume and rates a metric multiplies "
            f"by ({', '.join(sorted({*UNCERTAIN_OK, *rates}))}) carry an uncertainty into "
            "the money. Leave its uncertainty empty."
        )
    return float(se)


def define_metric(store: Store, metric: MetricDefinitionBase) -> MetricDefinition:
    """Create or change a governed metric definition (analysts and admins): a change makes
    a new version, audited with its old → new values; saving it unchanged does nothing."""
    store.authorize("define_metric")
    check_choice("aggregation", metric.aggregation, MetricAggregation)
    check_choice("direction", metric.direction, Direction)
    check_choice("value_kind", metric.value_kind, ValueKind)
    if metric.aggregation == "ratio" and not metric.denominator:
        raise InvalidInput("A ratio metric needs a denominator column.")
    store.catalog.apply([Write("metric", metric)])
    return store.catalog.metric(metric.name)


def define_study(store: Store, study: StudyBase) -> Study:
    """Create or change a study: arms, split, metrics, windows (analysts and admins)."""
    store.authorize("define_study")
    check_choice("kind", study.kind, StudyKind)
    StudySettings.parse(study.settings, strict=True)  # unknown or ill-typed settings are refused
    if study.kind == "ab" and study.arms and study.control_arm not in study.arms:
        raise InvalidInput(
            f"The control arm {study.control_arm!r} is not one of the arms {', '.join(study.arms)}."
        )
    unknown = [
        m
        for m in [study.primary_metric, *study.guardrail_metrics, *study.secondary_metrics]
        if m and m not in {d.name for d in store.catalog.metrics()}
    ]
    if unknown:
        raise InvalidInput(f"Define the metric(s) {', '.join(unknown)} first (Metrics page).")
    store.catalog.apply([Write("study", study)])
    return store.catalog.study(study.name)
