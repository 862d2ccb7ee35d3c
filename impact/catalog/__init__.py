"""The catalog: the only package that talks to the metadata database (SQLModel)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from impact.catalog.db import session
from impact.catalog.models import (
    AuditEvent,
    Dataset,
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
    "AuditEvent",
    "Catalog",
    "Dataset",
    "MetricDefinition",
    "MetricDefinitionBase",
    "Model",
    "ModelVersion",
    "Study",
    "StudyBase",
    "ValueAssumption",
]


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
        self._authorize(action, ("manage_study", "upload", "repair"))
        with session(self.url) as s:
            row = s.exec(select(Study).where(Study.name == study.name)).first()
            if row is not None and action != "manage_study":
                self._authorize("manage_study", ("manage_study",))  # changing one is admin's
            if row is None:
                row = Study.model_validate(study)
            else:
                for field, value in study.model_dump().items():
                    setattr(row, field, value)
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

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
        self._authorize("define_metric", ("define_metric",))
        with session(self.url) as s:
            row = s.exec(
                select(MetricDefinition).where(MetricDefinition.name == metric.name)
            ).first()
            if row is None:
                row = MetricDefinition.model_validate(metric)
            else:
                for field, value in metric.model_dump().items():
                    setattr(row, field, value)
                row.updated_at = utcnow()
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

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
        """Record a new version; earlier versions stay for the audit trail."""
        self._authorize("edit_assumption", ("edit_assumption",))
        history = self.assumption_history(name, scope)
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
                s.exec(select(func.count(), func.max(AuditEvent.id))).one(),
            ]
        return "|".join(f"{n}:{t}" for n, t in parts)
