"""The data contract: the four facts users upload, their columns, types and keys.

Everything that validates, stores or documents uploads reads this one description.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from impact.vocabulary import ColumnType, Extras, FactKind, check_choice

# Times are accepted from 1900-01-01 up to the end of 2100 (UTC); reading applies the same
# bounds, so a value stored before the rule compared real dates cannot break a page.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
EARLIEST_TIME = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
AFTER_LATEST_TIME = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)

SQL_TYPES: dict[ColumnType, str] = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = True
    nullable: bool = False  # a required column whose cells may be empty (treated_at)
    non_negative: bool = False
    description: str = ""


@dataclass(frozen=True)
class Fact:
    kind: FactKind
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    extras: Extras
    description: str

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


PREDICTIONS = Fact(
    kind="predictions",
    columns=(
        Column("prediction_id", "text", description="unique id of the prediction"),
        Column("model", "text", description="model name"),
        Column("model_version", "text", description="version that served it"),
        Column("unit_id", "text", description="customer, ticket, transaction … it was about"),
        Column("predicted_at", "timestamp"),
        Column("score", "number", description="model output (probability or value)"),
        Column("prediction", "number", required=False, description="decision acted on"),
        Column("actual", "number", required=False, description="label; may arrive late"),
        Column("labeled_at", "timestamp", required=False, description="when the label came"),
        Column("latency_ms", "number", required=False, non_negative=True),
        Column("served", "boolean", required=False, description="false when it fell back"),
    ),
    key=("prediction_id",),
    extras="features",
    description="One row per prediction; extra columns are kept as features.",
)

OUTCOMES = Fact(
    kind="outcomes",
    columns=(
        Column("unit_id", "text"),
        Column("observed_at", "timestamp"),
    ),
    key=(),
    extras="metrics",
    description="Business outcomes; numeric extra columns are metrics, text ones segments.",
)

ASSIGNMENTS = Fact(
    kind="assignments",
    columns=(
        Column("experiment", "text"),
        Column("unit_id", "text"),
        Column("arm", "text"),
        Column("assigned_at", "timestamp"),
    ),
    key=("experiment", "unit_id"),
    extras="none",
    description="A/B exposure: which arm each unit got and when.",
)

ROLLOUTS = Fact(
    kind="rollouts",
    columns=(
        Column("study", "text"),
        Column("unit_id", "text", description="store, region, team …"),
        Column("treated_at", "timestamp", nullable=True, description="empty = never treated"),
    ),
    key=("study", "unit_id"),
    extras="none",
    description="Staggered adoption dates for difference-in-differences.",
)

FACTS: dict[str, Fact] = {f.kind: f for f in (PREDICTIONS, OUTCOMES, ASSIGNMENTS, ROLLOUTS)}


def fact(kind: str) -> Fact:

    check_choice("kind", kind, FactKind)
    return FACTS[kind]
