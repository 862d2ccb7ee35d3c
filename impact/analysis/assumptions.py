"""Editing value assumptions: validated, versioned, attributed."""

from __future__ import annotations

import math

from impact.catalog import ValueAssumption
from impact.errors import InvalidInput
from impact.store import Store

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


def change_assumption(
    store: Store, name: str, value: float, *, scope: str = "", unit: str = "", note: str = ""
) -> ValueAssumption:
    """Record a new version; every money figure that uses it changes, nothing else."""
    name = name.strip()
    if not name:
        raise InvalidInput("Name the assumption, e.g. loaded_hourly_rate.")
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number; got {value!r}.")
    if value < 0 and not name.startswith("value_"):  # decision values may be losses
        raise InvalidInput(f"{name} cannot be negative; got {value:g}.")
    models = {m.name for m in store.catalog.models()}
    if scope and scope not in models:
        raise InvalidInput(
            f"Scope {scope!r} is not a model; choose one of "
            f"{', '.join(sorted(models)) or '(none)'} or leave it empty for all."
        )
    return store.catalog.set_assumption(
        name, float(value), scope=scope, unit=unit, note=note, changed_by=store.user
    )
