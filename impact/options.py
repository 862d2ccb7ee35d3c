"""How a readout is run, and what a study stores about it: the defaults live here only.

`ReadoutOptions` (A/B) and `RolloutOptions` (difference-in-differences) are what the pages,
the CLI and the analysis functions pass around; `StudySettings` is the typed form of a
study's stored `settings` JSON, from which both start.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from impact.errors import InvalidInput
from impact.vocabulary import Control, Correction, EffectAggregation, Estimator, check_choice

DEFAULT_TUNING_N = 5_000  # always-valid intervals are tightest at this many units
DEFAULT_CAP = (0.01, 0.99)  # percentiles "Cap outliers" winsorises at


def _check_level(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not 0 < value < 1:
        raise InvalidInput(f"{name} must be a number between 0 and 1; got {value!r}.")


@dataclass(frozen=True)
class ReadoutOptions:
    relative: bool = False  # relative lift instead of a difference
    cuped: bool = True  # adjust by the pre-period covariate when one varies
    correction: Correction = "holm"
    sequential: bool = False  # always-valid intervals
    tuning_n: int = DEFAULT_TUNING_N
    alpha: float = 0.05
    power: float = 0.8
    pairwise: bool = False  # also compare every pair of treatment arms
    cap: tuple[float, float] | None = None  # winsorise unit values at these percentiles

    def __post_init__(self) -> None:
        check_choice("correction", self.correction, Correction)
        _check_level("alpha", self.alpha)
        _check_level("power", self.power)
        if self.tuning_n <= 0:
            raise InvalidInput(f"tuning_n must be positive; got {self.tuning_n!r}.")
        if self.cap is not None:
            low, high = self.cap
            if not 0 <= low < high <= 1:
                raise InvalidInput(f"cap takes two percentiles 0 ≤ low < high ≤ 1; got {self.cap}.")


@dataclass(frozen=True)
class RolloutOptions:
    estimator: Estimator | None = None  # None: Callaway–Sant'Anna if adoption dates differ
    control: Control = "notyet"
    cluster: str = "unit"  # or a grouping of whole units, e.g. a unit segment "region"
    alpha: float = 0.05
    leads: int = 4  # event study: periods before adoption; earlier ones binned
    lags: int = 4  # and after it
    aggregate: EffectAggregation = "simple"  # Callaway–Sant'Anna's headline aggregation

    def __post_init__(self) -> None:
        if self.estimator is not None:
            check_choice("estimator", self.estimator, Estimator)
        check_choice("control", self.control, Control)
        check_choice("aggregate", self.aggregate, EffectAggregation)
        _check_level("alpha", self.alpha)
        if not isinstance(self.leads, int) or self.leads < 2:
            raise InvalidInput(
                f"leads must be a whole number ≥ 2 (−1 is the reference); got {self.leads!r}."
            )
        if not isinstance(self.lags, int) or self.lags < 0:
            raise InvalidInput(f"lags must be a whole number ≥ 0; got {self.lags!r}.")
        if not self.cluster:
            raise InvalidInput("cluster names a grouping of units, or 'unit'.")


_READOUT = {f.name for f in fields(ReadoutOptions)}
_ROLLOUT = {f.name for f in fields(RolloutOptions)}


@dataclass(frozen=True)
class StudySettings:
    """A study's stored settings, typed; stored flat in the catalog's JSON column."""

    readout: ReadoutOptions = field(default_factory=ReadoutOptions)
    rollout: RolloutOptions = field(default_factory=RolloutOptions)
    target_effect: dict[str, float] = field(default_factory=dict)  # per metric, absolute
    guardrail_tolerance: dict[str, float] = field(default_factory=dict)  # per metric

    @classmethod
    def parse(cls, raw: dict[str, Any] | None, *, strict: bool = False) -> StudySettings:
        """Typed settings; keys Impact does not use are refused when `strict` (defining a
        study) and ignored otherwise, so a catalog written before a setting existed, or
        with notes of its own, keeps working."""
        raw = dict(raw or {})
        known = _READOUT | _ROLLOUT | {"target_effect", "guardrail_tolerance"}
        unknown = sorted(set(raw) - known)
        if unknown and not strict:
            raw = {k: v for k, v in raw.items() if k in known}
        elif unknown:
            raise InvalidInput(
                f"Unknown study setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}."
            )
        if raw.get("cap") is not None:
            raw["cap"] = tuple(raw["cap"])
        # `alpha` is shared: one significance level per study, whatever its kind.
        return cls(
            ReadoutOptions(**{k: v for k, v in raw.items() if k in _READOUT}),
            RolloutOptions(**{k: v for k, v in raw.items() if k in _ROLLOUT}),
            {k: float(v) for k, v in raw.get("target_effect", {}).items()},
            {k: float(v) for k, v in raw.get("guardrail_tolerance", {}).items()},
        )

    def to_json(self) -> dict[str, Any]:
        """Only what differs from the defaults, flat, as the catalog stores it."""
        out: dict[str, Any] = {}
        for options, default in (
            (self.readout, ReadoutOptions()),
            (self.rollout, RolloutOptions()),
        ):
            defaults = asdict(default)
            out.update({k: v for k, v in asdict(options).items() if v != defaults[k]})
        if out.get("cap") is not None:
            out["cap"] = list(out["cap"])
        if self.target_effect:
            out["target_effect"] = dict(self.target_effect)
        if self.guardrail_tolerance:
            out["guardrail_tolerance"] = dict(self.guardrail_tolerance)
        return out

    def with_readout(self, **changes: Any) -> StudySettings:
        return replace(self, readout=replace(self.readout, **changes))

    def with_rollout(self, **changes: Any) -> StudySettings:
        return replace(self, rollout=replace(self.rollout, **changes))
