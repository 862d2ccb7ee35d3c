"""The one result type for every estimate: A/B, DiD and money figures alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Estimate:
    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: dict[str, int]
    method: str
    warnings: tuple[str, ...] = ()
    label: str = ""  # what is compared, e.g. "model-v1 vs control"
    metric: str = ""
    relative: bool = False  # effect is a lift (0.05 = +5%) rather than a difference
    alpha: float = 0.05
    df: float | None = None
    baseline: float | None = None  # control mean (or pre-period level)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    def conf_int(self) -> tuple[float, float]:
        return self.ci_low, self.ci_high

    def with_warning(self, message: str) -> Estimate:
        return replace(self, warnings=(*self.warnings, message))

    def tidy(self) -> dict[str, Any]:
        """A flat record for tables, CSV and JSON."""
        row = asdict(self)
        row["warnings"] = list(self.warnings)
        return row


def to_frame(estimates: list[Estimate]) -> pd.DataFrame:
    columns = [
        "label",
        "metric",
        "effect",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "relative",
        "method",
        "n",
        "warnings",
    ]
    return pd.DataFrame(
        [e.tidy() for e in estimates], columns=columns + ["alpha", "df", "baseline", "details"]
    )
