"""The definitions file an analyst keeps in version control: its format, as pydantic models.

    metrics:      name → dataset, column (or a ratio of column and denominator), aggregation,
                  direction, kind (revenue, cost, time, count), unit, money conversion
    studies:      name → kind ab (experiment) or rollout, and its design and settings
    assumptions:  currency, global rates, and per model (models: NAME: …) yearly volume,
                  running cost and a classifier's value matrix

Parsing reports every problem with its place in the file (`metrics.revenue_28d.column`);
the defaults are those of the catalog and of `impact.options`, never restated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.options import ReadoutOptions, RolloutOptions
from impact.vocabulary import (
    Control,
    Correction,
    Direction,
    EffectAggregation,
    Estimator,
    MetricAggregation,
    Period,
    ValueKind,
)

_METRIC = MetricDefinitionBase.model_fields
_STUDY = StudyBase.model_fields
_AB = ReadoutOptions()
_ROLL = RolloutOptions()
CELLS = ("tp", "fp", "fn", "tn")  # a value matrix's cells, stored as value_tp …


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricSpec(_Strict):
    dataset: str
    column: str
    denominator: str | None = None
    aggregation: MetricAggregation = _METRIC["aggregation"].default
    direction: Direction = _METRIC["direction"].default
    kind: ValueKind = _METRIC["value_kind"].default
    unit: str = _METRIC["unit"].default
    value_per_unit: float = _METRIC["value_per_unit"].default
    rate: str | None = None  # an assumption that multiplies the value, e.g. loaded_hourly_rate
    owner: str = ""
    description: str = ""


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


class _StudySpec(_Strict):
    model: str = ""
    description: str = ""
    business_unit: str | None = None  # the Overview's filter (default: its model's)
    unit: str = _STUDY["unit"].default
    start: datetime | None = None
    end: datetime | None = None

    _utc_times = field_validator("start", "end")(_utc)


class AbSpec(_StudySpec):
    kind: Literal["ab"]
    arms: list[str] = []
    control_arm: str | None = None
    planned_split: dict[str, float] = {}
    window_days: int = _STUDY["analysis_window_days"].default
    primary_metric: str | None = None
    guardrails: dict[str, float | None] = {}  # metric → tolerated degradation (metric units)
    secondary_metrics: list[str] = []
    targets: dict[str, float] = {}  # metric → effect to detect, for the sample size
    alpha: float = _AB.alpha
    correction: Correction = _AB.correction
    sequential: bool = _AB.sequential
    tuning_n: int = _AB.tuning_n
    relative: bool = _AB.relative
    cuped: bool = _AB.cuped
    power: float = _AB.power
    pairwise: bool = _AB.pairwise
    cap: tuple[float, float] | None = _AB.cap


class RolloutSpec(_StudySpec):
    kind: Literal["rollout"]
    metric: str | None = None
    period: Period = _STUDY["period"].default
    cluster: str = _ROLL.cluster
    control_group: Control = _ROLL.control
    estimator: Estimator | None = _ROLL.estimator
    alpha: float = _ROLL.alpha
    leads: int = _ROLL.leads
    lags: int = _ROLL.lags
    aggregate: EffectAggregation = _ROLL.aggregate


class AssumptionSpec(_Strict):
    value: float
    unit: str = ""
    se: float | None = None  # standard error; or a 95% range
    range: tuple[float, float] | None = None
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        return {"value": data} if isinstance(data, int | float) else data


class ValueMatrix(_Strict):
    """Money per decision of a classifier, relative to no model (negative: a cost)."""

    tp: float
    fp: float
    fn: float
    tn: float
    unit: str = ""
    note: str = ""


StudySpec = AbSpec | RolloutSpec


@dataclass
class Definitions:
    """A parsed file. Assumptions are keyed (name, scope); scope "" is global."""

    metrics: dict[str, MetricSpec] = field(default_factory=dict)
    studies: dict[str, StudySpec] = field(default_factory=dict)
    currency: str | None = None
    assumptions: dict[tuple[str, str], AssumptionSpec] = field(default_factory=dict)
    matrices: dict[str, ValueMatrix] = field(default_factory=dict)  # per model


@dataclass(frozen=True)
class Problem:
    place: str  # where in the file, e.g. metrics.revenue_28d.column
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


SECTIONS = ("metrics", "studies", "assumptions")


def parse(data: Any) -> tuple[Definitions, list[Problem]]:
    """The file's definitions and every problem of form found in it (none: all parsed)."""
    found = Definitions()
    problems: list[Problem] = []
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return found, [Problem("(file)", f"must hold {', '.join(SECTIONS)} sections as keys.")]
    for key in data:
        if key not in SECTIONS:
            problems.append(Problem(str(key), f"is not a section; known: {', '.join(SECTIONS)}."))
    for name, raw in _section(data, "metrics", problems).items():
        if (spec := _one(MetricSpec, raw, f"metrics.{name}", problems)) is not None:
            found.metrics[str(name)] = spec
    for name, raw in _section(data, "studies", problems).items():
        place = f"studies.{name}"
        kind = raw.get("kind") if isinstance(raw, dict) else None
        model = {"ab": AbSpec, "rollout": RolloutSpec}.get(kind)
        if model is None:
            problems.append(Problem(f"{place}.kind", f"must be ab or rollout; got {kind!r}."))
        elif (spec := _one(model, raw, place, problems)) is not None:
            found.studies[str(name)] = spec
    _assumptions(_section(data, "assumptions", problems), found, problems)
    return found, problems


def _section(data: dict, key: str, problems: list[Problem]) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        problems.append(Problem(key, "must map names to their definitions."))
        return {}
    return value


def _one(model: type[BaseModel], raw: Any, place: str, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join([place, *(str(p) for p in error["loc"])])
            problems.append(Problem(where, _message(error, model)))
        return None


def _message(error: dict, model: type[BaseModel]) -> str:
    if error["type"] == "missing":
        return "is required."
    if error["type"] == "extra_forbidden":
        return f"is not a known key; known: {', '.join(model.model_fields)}."
    return f"{error['msg']}; got {error.get('input')!r}."


def _assumptions(raw: dict, found: Definitions, problems: list[Problem]) -> None:
    for name, value in raw.items():
        place = f"assumptions.{name}"
        if name == "currency":
            if isinstance(value, str) and value.strip():
                found.currency = value.strip()
            else:
                problems.append(Problem(place, f"is a currency code such as USD; got {value!r}."))
        elif name == "models":
            if not isinstance(value, dict):
                problems.append(Problem(place, "maps model names to their assumptions."))
                continue
            for model, items in value.items():
                if not isinstance(items, dict):
                    problems.append(Problem(f"{place}.{model}", "maps assumption names to values."))
                    continue
                for key, item in items.items():
                    where = f"{place}.{model}.{key}"
                    if key == "value_matrix":
                        if (matrix := _one(ValueMatrix, item, where, problems)) is not None:
                            found.matrices[str(model)] = matrix
                    elif (spec := _one(AssumptionSpec, item, where, problems)) is not None:
                        found.assumptions[(str(key), str(model))] = spec
        elif (spec := _one(AssumptionSpec, value, place, problems)) is not None:
            found.assumptions[(str(name), "")] = spec


def assumption_place(name: str, scope: str) -> str:
    """Where an assumption sits in the file."""
    if not scope:
        return f"assumptions.{name}"
    if name.removeprefix("value_") in CELLS:
        return f"assumptions.models.{scope}.value_matrix.{name.removeprefix('value_')}"
    return f"assumptions.models.{scope}.{name}"
