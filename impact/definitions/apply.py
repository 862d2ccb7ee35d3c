"""What a definitions file would change, and applying it in one transaction or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from impact.catalog import Write, comparable
from impact.definitions.convert import (
    assumption_rows,
    metric_record,
    stored_definitions,
    study_record,
)
from impact.definitions.schema import Definitions, assumption_place

Status = Literal["created", "changed", "unchanged"]
ASSUMPTION_KEYS = ("value", "se", "text", "unit", "note")


@dataclass(frozen=True)
class Change:
    kind: str  # metric, study or assumption
    place: str  # where it is in the file
    status: Status
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (old, new)
    write: Write | None = None  # None when unchanged
    version: int | None = None  # after applying: the version it now has

    def tidy(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "place": self.place,
            "status": self.status,
            "version": self.version,
            "fields": {k: {"old": o, "new": n} for k, (o, n) in self.fields.items()},
        }


def _diff(old: dict | None, new: dict) -> tuple[Status, dict[str, tuple[Any, Any]]]:
    if old is None:
        return "created", {k: (None, v) for k, v in new.items()}
    fields = {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}
    return ("changed" if fields else "unchanged"), fields


def _dump(spec: Any) -> dict[str, Any]:
    return comparable(spec.model_dump(mode="json"))


def plan(found: Definitions, current: Definitions, source: str) -> list[Change]:
    """Every definition of the file, created, changed (old → new per field) or unchanged,
    compared in the file's own terms with the catalog's current state."""
    detail = {"source": source}
    changes = []
    for name, spec in found.metrics.items():
        old = current.metrics.get(name)
        status, fields = _diff(None if old is None else _dump(old), _dump(spec))
        write = Write("metric", metric_record(name, spec), detail)
        changes.append(Change("metric", f"metrics.{name}", status, fields, write))
    for name, spec in found.studies.items():
        old = current.studies.get(name)
        status, fields = _diff(None if old is None else _dump(old), _dump(spec))
        write = Write("study", study_record(name, spec), detail)
        changes.append(Change("study", f"studies.{name}", status, fields, write))
    stored = assumption_rows(current)
    for key, row in assumption_rows(found).items():
        old = stored.get(key)
        pick = ASSUMPTION_KEYS if key[0] != "currency" else ("text",)
        status, fields = _diff(
            None if old is None else {k: old[k] for k in pick}, {k: row[k] for k in pick}
        )
        write = Write("assumption", row, detail)
        changes.append(Change("assumption", assumption_place(*key), status, fields, write))
    return [c if c.status != "unchanged" else Change(c.kind, c.place, c.status) for c in changes]


def current_state(catalog: Any) -> Definitions:
    return stored_definitions(catalog.metrics(), catalog.studies(), catalog.assumptions())


def apply(catalog: Any, changes: list[Change]) -> list[Change]:
    """Write every created or changed definition in one catalog transaction (the catalog
    checks every role first); returns the changes with the versions they now have."""
    pending = [c for c in changes if c.write is not None]
    saved = iter(catalog.apply([c.write for c in pending]))
    versions = {id(c): next(saved).version for c in pending}
    return [
        Change(c.kind, c.place, c.status, c.fields, c.write, versions.get(id(c))) for c in changes
    ]
