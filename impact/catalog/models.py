"""Catalog tables: metadata about models, uploads, studies, metrics and value assumptions.

Lists and settings are JSON columns so the same schema runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from impact.options import StudySettings
from impact.vocabulary import (
    Direction,
    FactKind,
    MetricAggregation,
    Period,
    StudyKind,
    Task,
    ValueKind,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Model(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    description: str = ""
    owner: str = ""
    task: Task = Field(default="classification", sa_type=String)
    decision_threshold: float = 0.5
    business_unit: str | None = None  # the Overview's filter; a study may set its own
    created_at: datetime = Field(default_factory=utcnow)


class ModelVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("model_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="model.id", index=True)
    version: str
    released_at: datetime | None = None
    notes: str = ""


class Dataset(SQLModel, table=True):
    """One upload. Uploads sharing a `name` form one logical dataset (appended over time)."""

    id: str = Field(primary_key=True)  # same id as the warehouse rows carry
    name: str = Field(index=True)
    kind: FactKind = Field(sa_type=String)
    file_name: str
    rows: int
    checksum: str = Field(index=True)
    mapping: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    uploaded_by: str
    uploaded_at: datetime = Field(default_factory=utcnow)


class StudyBase(SQLModel):
    name: str = Field(index=True, unique=True)
    kind: StudyKind = Field(sa_type=String)
    model: str = ""
    description: str = ""
    business_unit: str | None = None  # None: its model's business unit
    unit: str = "customer"
    start: datetime | None = None
    end: datetime | None = None
    analysis_window_days: int = 28
    arms: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    control_arm: str | None = None
    planned_split: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    primary_metric: str | None = None
    guardrail_metrics: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    secondary_metrics: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    period: Period = Field(default="week", sa_type=String)  # rollouts' panel period
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))

    @property
    def options(self) -> StudySettings:
        """The stored settings, typed, with every default filled in."""
        return StudySettings.parse(self.settings)


class Study(StudyBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    version: int | None = None  # None: stored before definitions were versioned (read as 1)


class MetricDefinitionBase(SQLModel):
    name: str = Field(index=True, unique=True)
    dataset: str  # logical dataset name
    column: str
    denominator: str | None = None  # ratio metrics: Σcolumn / Σdenominator
    aggregation: MetricAggregation = Field(default="sum", sa_type=String)
    direction: Direction = Field(default="higher", sa_type=String)
    value_kind: ValueKind = Field(default="revenue", sa_type=String)
    unit: str = "currency"  # currency, minutes, hours, events
    value_per_unit: float = 1.0  # money per one unit, before assumptions (e.g. hours/minute)
    rate_assumption: str | None = None  # e.g. "loaded_hourly_rate" multiplies the value
    owner: str = ""
    description: str = ""


class MetricDefinition(MetricDefinitionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int | None = None  # None: stored before definitions were versioned (read as 1)


class DefinitionVersion(SQLModel, table=True):
    """Every version of a metric or study definition, as it was saved: the history."""

    __table_args__ = (UniqueConstraint("kind", "name", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # "metric" or "study"
    name: str = Field(index=True)
    version: int
    definition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    changed_by: str = ""
    changed_at: datetime = Field(default_factory=utcnow)


class ValueAssumption(SQLModel, table=True):
    """Versioned: a change adds a row; the newest row per (name, scope) is current."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)  # currency, loaded_hourly_rate, yearly_volume, running_cost
    scope: str = ""  # "" for global, else a model or study name
    value: float | None = None
    se: float | None = None  # standard error of value (None or 0: taken as known)
    text: str | None = None  # for non-numeric assumptions (currency code)
    unit: str = ""
    version: int = 1
    note: str = ""
    changed_by: str = ""
    changed_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Every change to data or definitions: who, when, what."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user: str
    role: str
    action: str  # upload, delete_upload, define_metric, edit_assumption, …
    target: str  # dataset, metric or assumption name
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
