"""The one result type for every estimate: A/B, DiD and money figures alike.

Every estimator ends in `Estimate.from_se`, the one place an interval and a p-value are
computed from a standard error (Student's t with `df` degrees of freedom, else normal).
`tidy()` is the one way to tabulate an estimate: tables, CSV and JSON all use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from scipy import special

from impact.vocabulary import CaveatKind, check_choice


class Caveat(str):
    """A reason to read an estimate with care: its text, and `kind`, what it is about.

    A string, so it shows and exports as its message; callers select by `kind`, never by
    the wording."""

    kind: CaveatKind

    def __new__(cls, kind: CaveatKind, message: str) -> Caveat:
        check_choice("caveat kind", kind, CaveatKind)
        caveat = super().__new__(cls, message)
        caveat.kind = kind
        return caveat

    @property
    def message(self) -> str:
        return str(self)

    def __reduce__(self):  # pickled by st.cache_data
        return (Caveat, (self.kind, str(self)))


@dataclass(frozen=True)
class Estimate:
    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: dict[str, int]
    method: str
    warnings: tuple[Caveat, ...] = ()
    label: str = ""  # what is compared, e.g. "model-v1 vs control"
    metric: str = ""
    relative: bool = False  # effect is a lift (0.05 = +5%) rather than a difference
    alpha: float = 0.05
    df: float | None = None  # None: normal reference distribution
    baseline: float | None = None  # control mean (or pre-period level)
    treatment_arm: str | None = None  # A/B: the arm compared ...
    control_arm: str | None = None  # ... with this one
    segment: str | None = None  # A/B segment readouts: the segment value
    clusters: int | None = None  # clusters behind a cluster-robust standard error
    small_sample_factor: float | None = None  # CR1's G/(G − 1) · (N − 1)/(N − K)
    bootstrap_draws: int | None = None  # set when a bootstrap made the interval
    raw_p_value: float | None = None  # before a multiple-comparison correction
    correction: str | None = None  # which correction adjusted p_value, over which family
    details: dict[str, Any] = field(default_factory=dict)  # method-specific extras

    @staticmethod
    def critical_value(alpha: float, df: float | None = None) -> float:
        """The (1 − α/2) quantile of t(df), or of the normal when df is None."""
        q = 1 - alpha / 2
        return float(special.ndtri(q) if df is None else special.stdtrit(df, q))

    @classmethod
    def from_se(
        cls, effect: float, se: float, *, df: float | None = None, alpha: float = 0.05, **rest
    ) -> Estimate:
        """Interval and two-sided p-value of `effect` from its standard error."""
        quantile = cls.critical_value(alpha, df)
        p_value = float(2 * _upper_tail(abs(effect) / se, df)) if se > 0 else 0.0
        return cls(
            effect=effect,
            se=se,
            ci_low=effect - quantile * se,
            ci_high=effect + quantile * se,
            p_value=p_value,
            alpha=alpha,
            df=df,
            **rest,
        )

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    def with_warning(self, kind: CaveatKind, message: str) -> Estimate:
        return self.with_caveats([Caveat(kind, message)])

    def with_caveats(self, caveats: list[Caveat]) -> Estimate:
        """Add caveats, skipping any already present."""
        merged = tuple(dict.fromkeys([*self.warnings, *caveats]))
        return replace(self, warnings=merged)

    def caveats(self, *kinds: CaveatKind) -> tuple[Caveat, ...]:
        return tuple(w for w in self.warnings if w.kind in kinds)

    def tidy(self) -> dict[str, Any]:
        """A flat record for tables, CSV and JSON: counts as n_<key>, the method's extras
        as their own columns, warnings as their messages; non-finite numbers as None."""
        row: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("n", "details", "warnings"):
                continue
            row[f.name] = getattr(self, f.name)
            if f.name == "p_value":
                row["significant"] = self.significant
        row.update({f"n_{k}": v for k, v in self.n.items()})
        row.update({k: v for k, v in self.details.items() if k not in row})
        row["warnings"] = [w.message for w in self.warnings]
        row["warning_kinds"] = [w.kind for w in self.warnings]
        return {k: _plain(v) for k, v in row.items()}


def _upper_tail(x: float, df: float | None) -> float:
    """P(T > x): scipy.stats' own kernels (norm.sf, t.sf), called without building a
    frozen distribution, which costs a millisecond per estimate."""
    return special.ndtr(-x) if df is None else special.stdtr(df, -x)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _plain(value.item())
    return value
