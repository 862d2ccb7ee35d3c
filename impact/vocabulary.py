"""Every option vocabulary of Impact, and the one helper that checks a value against it.

pyfixest-style: each choice is a `Literal` type; `check_choice` lists the allowed values
in its error. Catalog fields, option dataclasses, the CLI and the pages use these names.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from impact.errors import InvalidInput

# Catalog --------------------------------------------------------------------------------
StudyKind = Literal["ab", "did"]
MetricAggregation = Literal["sum", "mean", "proportion", "ratio"]  # a unit's value
Direction = Literal["higher", "lower"]  # which way is better
ValueKind = Literal["revenue", "cost", "time", "count"]
Period = Literal["day", "week", "month"]  # a rollout panel's period
Task = Literal["classification", "regression"]
Role = Literal["viewer", "analyst", "admin"]
FactKind = Literal["predictions", "outcomes", "assignments", "rollouts"]

# Uploads --------------------------------------------------------------------------------
FileFormat = Literal["csv", "parquet", "xlsx"]
ColumnType = Literal["text", "timestamp", "number", "boolean"]  # of a contract column
Extras = Literal["features", "metrics", "none"]  # what a fact's other columns are
# What an upload does with rows its dataset already holds (same unit, time, metric, value).
OnExisting = Literal["refuse", "append_new", "replace"]
# Where an upload was asked for: its messages name that place's controls (a flag, a box).
Where = Literal["cli", "app"]

# A/B readouts ---------------------------------------------------------------------------
Correction = Literal["holm", "bh", "none"]

# Rollout readouts -----------------------------------------------------------------------
Estimator = Literal["twfe", "2x2", "event", "cs"]
Control = Literal["never", "notyet"]  # which units serve as controls (Callaway–Sant'Anna)
KConvention = Literal["fixest", "statsmodels"]  # parameters counted in CR1's factor
EffectAggregation = Literal["simple", "dynamic", "group", "calendar"]  # of ATT(g, t)
BootWeights = Literal["rademacher", "webb"]  # the wild bootstrap's cluster weights

# Model health ---------------------------------------------------------------------------
HealthPeriod = Literal["day", "week"]

# Evidence behind a verdict (impact.stats.evidence) --------------------------------------
Strength = Literal["conclusive", "suggestive", "inconclusive", "harmful", "unreliable"]
CheckEffect = Literal["blocks", "harms", "weakens", "note"]  # what a failed check does

# What a caveat on an estimate is about, so callers select caveats by kind, not by text.
CaveatKind = Literal[
    "srm",  # sample ratio mismatch
    "pretrend",  # pre-trend test failed or cannot be run
    "placebo",  # placebo adoption shows an effect
    "few_clusters",  # too few clusters for cluster-robust intervals
    "few_treated",  # too few treated units or clusters
    "bootstrap",  # about the wild bootstrap (not available, approximate)
    "unbalanced",  # unit-period cells missing
    "staggered",  # adoption dates differ (TWFE/2×2 biased)
    "controls",  # no never-treated units, or no usable control group
    "dropped_units",  # units left out of the estimate
    "single_unit_cohort",  # an adoption cohort of one unit
    "adoption_outside",  # adoption outside the panel's periods
    "exploratory",  # segment readouts
    "event_window",  # the event study's leads or lags were reduced to be estimable
    "assumption",  # a default the readout assumed, e.g. an equal planned split
    "readiness",  # a dataset the readout uses fails a data-readiness check
]
# What a data-readiness finding is about (impact.monitor.readiness).
ReadinessKind = Literal[
    "stale",  # the latest event is older than the expected cadence allows
    "volume_drop",  # a period with far fewer rows than the periods before it
    "null_spike",  # a period whose share of empty values is far above the usual
    "new_value",  # a segment value seen in the last period and never before
    "vanished_value",  # a segment value seen before and absent from the last period
    "label_coverage",  # too few predictions have a label
    "unknown_units",  # outcome units that no study knows
]


def choices(allowed: Any) -> tuple:
    """The allowed values of a Literal type (or a collection)."""
    return get_args(allowed) or tuple(allowed)


def check_choice(name: str, value: Any, allowed: Any) -> Any:
    """Return `value` if it is one of `allowed` (a Literal type or a collection)."""
    options = choices(allowed)
    if value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise InvalidInput(f"{name} must be one of {listed}; got {value!r}.")
    return value
