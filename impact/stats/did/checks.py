"""The checks a rollout readout shows every time, passed or not: pre-trends, the
Callaway–Sant'Anna pre-test and the placebo adoption, each a `Check`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Check:
    name: str  # what was checked, e.g. "pre-test of parallel trends (Callaway–Sant'Anna)"
    hypothesis: str  # the null, in words: "all 5 pre-adoption ATT(g, t) are 0"
    statistic_name: str  # "W" (chi-square), "F", "t"
    statistic: float  # nan when the check could not be run
    df: tuple[float, ...]  # its reference distribution's degrees of freedom
    p_value: float
    alpha: float
    note: str = ""  # why it could not be run, or what was changed to run it

    @property
    def ran(self) -> bool:
        return math.isfinite(self.p_value)

    @property
    def passed(self) -> bool | None:
        """No evidence against the null at α; None when the check could not be run."""
        return self.p_value >= self.alpha if self.ran else None

    @property
    def outcome(self) -> str:
        return {True: "passed", False: "failed", None: "not run"}[self.passed]

    def tidy(self) -> dict:
        """A flat record for tables and JSON (non-finite numbers as None)."""
        row = {**asdict(self), "df": list(self.df), "passed": self.passed}
        row["outcome"] = self.outcome
        return {k: _finite(v) for k, v in row.items()}

    @classmethod
    def not_run(cls, name: str, hypothesis: str, alpha: float, note: str) -> Check:
        return cls(name, hypothesis, "", math.nan, (), math.nan, alpha, note)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _finite(value.item())
    return value
