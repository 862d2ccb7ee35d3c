"""The catalog side of an upload: the dataset record and the models and studies it names.

Used by ingest after the warehouse commit, and by reconcile to finish an upload whose
process died between the two.
"""

from __future__ import annotations

from typing import Any

from impact.catalog import Dataset, StudyBase
from impact.ingest.write import LoadRecord
from impact.store import Store

_ENTITY_SQL = {
    "predictions": (
        "models",
        "SELECT model, list(DISTINCT model_version ORDER BY "
        "model_version) FROM {src} GROUP BY model ORDER BY model",
    ),
    "assignments": (
        "experiments",
        "SELECT experiment, list(DISTINCT arm ORDER BY arm), "
        "min(assigned_at), max(assigned_at) FROM {src} GROUP BY experiment "
        "ORDER BY experiment",
    ),
    "rollouts": ("studies", "SELECT DISTINCT study FROM {src} ORDER BY study"),
}


def entities_in(session: Any, kind: str, source: str, params: list | None = None) -> dict:
    """Models, experiments or studies named by the rows of `source` (a table expression
    from our own code, never user text)."""
    if kind not in _ENTITY_SQL:
        return {}
    key, sql = _ENTITY_SQL[kind]
    return {key: session.execute(sql.format(src=source), params or []).rows}


def record_in_catalog(
    store: Store,
    record: LoadRecord,
    entities: dict,
    notes: list[str],
    action: str = "upload",
    declared: list[str] | None = None,
) -> Dataset:
    """`action` is "upload", or "repair" when reconcile finishes an interrupted upload.
    The names of studies it declares are added to `declared`."""
    declared = [] if declared is None else declared
    store.authorize(action)
    catalog = store.catalog
    for model, versions in entities.get("models", []):
        catalog.ensure_model(model, list(versions), action=action)
    for experiment, arms, first, last in entities.get("experiments", []):
        if catalog.find_study(experiment) is None:
            control = "control" if "control" in arms else arms[0]
            catalog.save_study(
                StudyBase(
                    name=experiment,
                    kind="ab",
                    arms=list(arms),
                    control_arm=control,
                    start=first,
                    end=last,
                    planned_split={a: 1 / len(arms) for a in arms},
                ),
                action=action,
            )
            notes.append(
                f"Declared experiment {experiment!r} with arms {', '.join(arms)} "
                f"(control: {control}, equal split); edit it if that is wrong."
            )
            declared.append(experiment)
    for (study,) in entities.get("studies", []):
        if catalog.find_study(study) is None:
            catalog.save_study(StudyBase(name=study, kind="did", unit="unit"), action=action)
            notes.append(f"Declared rollout study {study!r}.")
            declared.append(study)
    return catalog.add_dataset(
        Dataset(
            id=record.dataset_id,
            name=record.name,
            kind=record.kind,
            file_name=record.file_name,
            rows=record.rows,
            checksum=record.checksum,
            mapping=record.mapping,
            uploaded_by=record.uploaded_by,
            uploaded_at=record.loaded_at,
        ),
        action=action,
    )
