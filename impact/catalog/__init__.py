"""The catalog: the only package that talks to the metadata database (SQLModel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from impact.catalog.db import session
from impact.catalog.models import (
    AuditEvent,
    Dataset,
    DefinitionVersion,
    MetricDefinition,
    MetricDefinitionBase,
    Model,
    ModelVersion,
    Study,
    StudyBase,
    ValueAssumption,
    utcnow,
)
from impact.errors import NotFound

__all__ = [
    "ACTIONS",
    "AuditEvent",
    "Catalog",
    "Dataset",
    "DefinitionVersion",
    "MetricDefinition",
    "MetricDefinitionBase",
    "Model",
    "ModelVersion",
    "Study",
    "StudyBase",
    "ValueAssumption",
    "Saved",
    "Write",
    "comparable",
]

# What each kind of definition is, and the action that writes it.
_TABLES = {"metric": (MetricDefinition, MetricDefinitionBase), "study": (Study, StudyBase)}
ACTIONS = {"metric": "define_metric", "study": "define_study", "assumption": "edit_assumption"}
ASSUMPTION_FIELDS = ("value", "se", "text", "unit", "note")


def comparable(value: Any) -> Any:
    """A definition's value as JSON-ready data that compares equal when it means the same:
    datetimes as UTC ISO text (SQLite returns them naive), tuples as lists."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {str(k): comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    return value


def _fields(record: Any, base: type) -> dict[str, Any]:
    return {name: comparable(getattr(record, name)) for name in base.model_fields}


@dataclass(frozen=True)
class Write:
    """One definition to save: kind "metric" (a MetricDefinitionBase), "study" (a
    StudyBase) or "assumption" (a dict: name, scope and ASSUMPTION_FIELDS)."""

    kind: str
    record: Any
    detail: dict[str, Any] = field(default_factory=dict)  # added to its audit event

    @property
    def name(self) -> str:
        return self.record["name"] if self.kind == "assumption" else self.record.name


@dataclass(frozen=True)
class Saved:
    kind: str
    name: str
    version: int
    changes: dict[str, list]  # field → [old, new]; every field when created
    created: bool

    @property
    def changed(self) -> bool:
        return bool(self.changes)


class Catalog:
    """Typed reads and writes of catalog records; each call is one short session.

    A catalog acts as one user and role (the store's; local single-user mode by default):
    every write checks the role first and refuses with PermissionDenied before touching the
    database. `action` names what the caller is doing when one record serves several (an
    upload declares the studies and models it names; an admin manages them).
    """

    def __init__(self, url: str, user: str = "local", role: str = "admin"):
        self.url = url
        self.user = user
        self.role = role

    def acting_as(self, user: str, role: str) -> Catalog:
        return Catalog(self.url, user, role)

    def _authorize(self, action: str, allowed: tuple[str, ...]) -> None:
        from impact.access import authorize

        if action not in allowed:
            raise ValueError(f"{action!r} is not one of {allowed} for this write")
        authorize(self.user, self.role, action)

    # datasets -------------------------------------------------------------------------
    def datasets(self) -> list[Dataset]:
        with session(self.url) as s:
            return list(s.exec(select(Dataset).order_by(col(Dataset.uploaded_at).desc())))

    def dataset_with_checksum(self, checksum: str, kind: str) -> Dataset | None:
        with session(self.url) as s:
            stmt = select(Dataset).where(Dataset.checksum == checksum, Dataset.kind == kind)
            return s.exec(stmt).first()

    def add_dataset(self, dataset: Dataset, *, action: str = "upload") -> Dataset:
        self._authorize(action, ("upload", "repair"))
        with session(self.url) as s:
            s.add(dataset)
            s.commit()
            s.refresh(dataset)
            return dataset

    def remove_dataset(self, dataset_id: str, *, action: str = "delete_upload") -> None:
        self._authorize(action, ("delete_upload", "repair"))
        with session(self.url) as s:
            row = s.get(Dataset, dataset_id)
            if row is not None:
                s.delete(row)
                s.commit()

    # models ---------------------------------------------------------------------------
    def models(self) -> list[Model]:
        with session(self.url) as s:
            return list(s.exec(select(Model).order_by(Model.name)))

    def model_versions(self, model: str) -> list[ModelVersion]:
        with session(self.url) as s:
            stmt = (
                select(ModelVersion)
                .join(Model)
                .where(Model.name == model)
                .order_by(ModelVersion.version)
            )
            return list(s.exec(stmt))

    def ensure_model(
        self, name: str, versions: list[str], *, action: str = "upload", **fields: Any
    ) -> Model:
        """Create the model and any versions not yet known; keep what exists."""
        self._authorize(action, ("upload", "repair", "manage_study"))
        with session(self.url) as s:
            model = s.exec(select(Model).where(Model.name == name)).first()
            if model is None:
                model = Model(name=name, **fields)
                s.add(model)
                s.flush()
            known = {
                v.version
                for v in s.exec(select(ModelVersion).where(ModelVersion.model_id == model.id))
            }
            for v in versions:
                if v not in known:
                    s.add(ModelVersion(model_id=model.id, version=v))
            s.commit()
            s.refresh(model)
            return model

    # studies --------------------------------------------------------------------------
    def studies(self, kind: str | None = None) -> list[Study]:
        with session(self.url) as s:
            stmt = select(Study).order_by(Study.name)
            if kind:
                stmt = stmt.where(Study.kind == kind)
            return list(s.exec(stmt))

    def find_study(self, name: str) -> Study | None:
        with session(self.url) as s:
            return s.exec(select(Study).where(Study.name == name)).first()

    def study(self, name: str) -> Study:
        found = self.find_study(name)
        if found is None:
            known = ", ".join(st.name for st in self.studies()) or "none yet"
            raise NotFound(f"No study named {name!r}. Known studies: {known}.")
        return found

    def save_study(self, study: StudyBase, *, action: str = "manage_study") -> Study:
        """Insert, or update the study with the same name (an upload only declares new ones)."""
        self._authorize(action, ("manage_study", "define_study", "upload", "repair"))
        with session(self.url) as s:
            row = s.exec(select(Study).where(Study.name == study.name)).first()
            if row is not None and action in ("upload", "repair"):
                # an upload only declares new studies; changing one is a definition's job
                self._authorize("define_study", ("define_study",))
            self._put_definition(s, "study", study)
            s.commit()
        return self.study(study.name)

    # metrics --------------------------------------------------------------------------
    def metrics(self) -> list[MetricDefinition]:
        with session(self.url) as s:
            return list(s.exec(select(MetricDefinition).order_by(MetricDefinition.name)))

    def metric(self, name: str) -> MetricDefinition:
        with session(self.url) as s:
            found = s.exec(select(MetricDefinition).where(MetricDefinition.name == name)).first()
        if found is None:
            known = ", ".join(m.name for m in self.metrics()) or "none yet"
            raise NotFound(f"No metric named {name!r}. Defined metrics: {known}.")
        return found

    def save_metric(self, metric: MetricDefinitionBase) -> MetricDefinition:
        """Insert or change; a new version only when a field changed (see `apply`)."""
        self._authorize("define_metric", ("define_metric",))
        with session(self.url) as s:
            self._put_definition(s, "metric", metric)
            s.commit()
        return self.metric(metric.name)

    # versioned definitions ------------------------------------------------------------
    def definition_history(self, kind: str, name: str) -> list[DefinitionVersion]:
        """Every saved version of a metric or study, oldest first."""
        with session(self.url) as s:
            stmt = (
                select(DefinitionVersion)
                .where(DefinitionVersion.kind == kind, DefinitionVersion.name == name)
                .order_by(DefinitionVersion.version)
            )
            return list(s.exec(stmt))

    def apply(self, writes: list[Write], *, audit: bool = True) -> list[Saved]:
        """Save every definition and assumption in one transaction, or none: each one that
        changes gets a new version, its history row and (with `audit`) an audit event with
        its old → new values; one that would not change is left as it is. Every role
        needed is checked before the first write."""
        for kind in dict.fromkeys(w.kind for w in writes):
            self._authorize(ACTIONS[kind], (ACTIONS[kind],))
        saved = []
        with session(self.url) as s:
            for w in writes:
                if w.kind == "assumption":
                    result = self._put_assumption(s, w.record)
                else:
                    result = self._put_definition(s, w.kind, w.record)
                saved.append(result)
                if audit and result.changed:
                    detail = {**w.detail, "version": result.version, "changes": result.changes}
                    s.add(
                        AuditEvent(
                            user=self.user,
                            role=self.role,
                            action=ACTIONS[w.kind],
                            target=w.name,
                            detail=comparable(detail),
                        )
                    )
            s.commit()
        return saved

    def _put_definition(self, s: Any, kind: str, record: Any) -> Saved:
        table, base = _TABLES[kind]
        row = s.exec(select(table).where(table.name == record.name)).first()
        new = _fields(record, base)
        if row is None:
            row = table.model_validate(record)
            row.version = 1
            changes = {k: [None, v] for k, v in new.items()}
        else:
            old = _fields(row, base)
            changes = {k: [old[k], new[k]] for k in new if old[k] != new[k]}
            if not changes:
                return Saved(kind, record.name, row.version or 1, {}, False)
            if row.version is None:  # stored before versions: its first version joins history
                s.add(self._history(kind, record.name, 1, old, row))
            for name in base.model_fields:
                setattr(row, name, getattr(record, name))
            row.version = (row.version or 1) + 1
            if kind == "metric":
                row.updated_at = utcnow()
        s.add(row)
        s.add(self._history(kind, record.name, row.version, new))
        s.flush()
        return Saved(kind, record.name, row.version, changes, row.version == 1)

    def _history(
        self, kind: str, name: str, version: int, definition: dict, old_row: Any = None
    ) -> DefinitionVersion:
        return DefinitionVersion(
            kind=kind,
            name=name,
            version=version,
            definition=definition,
            changed_by="" if old_row is not None else self.user,
            changed_at=getattr(old_row, "updated_at", None)
            or getattr(old_row, "created_at", None)
            or utcnow(),
        )

    def _put_assumption(self, s: Any, values: dict[str, Any]) -> Saved:
        name, scope = values["name"], values.get("scope", "")
        stmt = (
            select(ValueAssumption)
            .where(ValueAssumption.name == name, ValueAssumption.scope == scope)
            .order_by(col(ValueAssumption.version).desc())
        )
        current = s.exec(stmt).first()
        new = {k: values.get(k, "" if k in ("unit", "note") else None) for k in ASSUMPTION_FIELDS}
        old = {k: getattr(current, k) for k in ASSUMPTION_FIELDS} if current else {}
        changes = {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}
        if current is not None and not changes:
            return Saved("assumption", name, current.version, {}, False)
        version = current.version + 1 if current else 1
        row = ValueAssumption(name=name, scope=scope, version=version, changed_by=self.user, **new)
        s.add(row)
        s.flush()
        return Saved("assumption", name, version, changes, current is None)

    # value assumptions ----------------------------------------------------------------
    def assumptions(self) -> list[ValueAssumption]:
        """The current version of every assumption."""
        with session(self.url) as s:
            rows = list(
                s.exec(
                    select(ValueAssumption).order_by(
                        ValueAssumption.name, ValueAssumption.scope, ValueAssumption.version
                    )
                )
            )
        current: dict[tuple[str, str], ValueAssumption] = {}
        for r in rows:
            current[(r.name, r.scope)] = r
        return list(current.values())

    def assumption_history(self, name: str, scope: str = "") -> list[ValueAssumption]:
        with session(self.url) as s:
            stmt = (
                select(ValueAssumption)
                .where(ValueAssumption.name == name, ValueAssumption.scope == scope)
                .order_by(ValueAssumption.version)
            )
            return list(s.exec(stmt))

    def set_assumption(
        self,
        name: str,
        value: float | None = None,
        *,
        scope: str = "",
        text: str | None = None,
        unit: str = "",
        note: str = "",
        changed_by: str = "",
        se: float | None = None,
    ) -> ValueAssumption:
        """Record a new version; earlier versions stay for the audit trail. Saving what is
        already current makes no new version: the current one is returned."""
        self._authorize("edit_assumption", ("edit_assumption",))
        history = self.assumption_history(name, scope)
        if history and all(
            getattr(history[-1], k) == v
            for k, v in dict(value=value, se=se, text=text, unit=unit, note=note).items()
        ):
            return history[-1]
        row = ValueAssumption(
            name=name,
            scope=scope,
            value=value,
            se=se,
            text=text,
            unit=unit,
            note=note,
            changed_by=changed_by,
            version=(history[-1].version + 1) if history else 1,
        )
        with session(self.url) as s:
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

    # audit log ------------------------------------------------------------------------
    def audit(
        self, user: str, role: str, action: str, target: str, detail: dict[str, Any] | None = None
    ) -> AuditEvent:
        with session(self.url) as s:
            event = AuditEvent(
                user=user, role=role, action=action, target=target, detail=detail or {}
            )
            s.add(event)
            s.commit()
            s.refresh(event)
            return event

    def audit_log(self, limit: int = 200) -> list[AuditEvent]:
        with session(self.url) as s:
            stmt = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
            return list(s.exec(stmt))

    # change detection -----------------------------------------------------------------
    def revision(self) -> str:
        """Changes whenever a study, metric definition or assumption is written."""
        with session(self.url) as s:
            parts = [
                s.exec(select(func.count(), func.max(ValueAssumption.changed_at))).one(),
                s.exec(select(func.count(), func.max(MetricDefinition.updated_at))).one(),
                s.exec(select(func.count(), func.max(Study.id))).one(),
                s.exec(select(func.count(), func.max(DefinitionVersion.id))).one(),
                s.exec(select(func.count(), func.max(AuditEvent.id))).one(),
            ]
        return "|".join(f"{n}:{t}" for n, t in parts)
