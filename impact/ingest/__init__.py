"""Ingest one file of one fact: read, validate, then store atomically or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from impact.catalog import Dataset
from impact.contract import fact as fact_of
from impact.errors import (
    DuplicateUpload,
    ImpactError,
    InUse,
    InvalidInput,
    StorageFull,
    ValidationFailed,
)
from impact.ingest.dependents import dependents
from impact.ingest.limits import Limits
from impact.ingest.read import checksum, read_into
from impact.ingest.reconcile import reconcile
from impact.ingest.record import entities_in, record_in_catalog
from impact.ingest.report import RuleResult, ValidationReport
from impact.ingest.rules import FileContext, StagedFile, check_file
from impact.ingest.write import LoadRecord, now, write_load
from impact.scratch import remove_stale
from impact.store import Store
from impact.vocabulary import OnExisting, Where, check_choice
from impact.warehouse import Staging, is_disk_full, temp_full_message
from impact.warehouse.schema import FACT_TABLES

Progress = Callable[[float, str], None]

__all__ = [
    "IngestResult",
    "RuleResult",
    "ValidationReport",
    "delete_upload",
    "dependents",
    "ingest_file",
    "validate_file",
]


@dataclass(frozen=True)
class IngestResult:
    dataset: Dataset
    report: ValidationReport
    notes: list[str] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)  # studies this upload declared


def ingest_file(
    store: Store,
    path: Path | str,
    kind: str,
    *,
    dataset: str | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    allow_unknown_units: bool = False,
    file_name: str | None = None,
    progress: Progress | None = None,
    upload_limit_mb: float | None = None,
    row_limit: int | None = None,
    on_existing: OnExisting = "refuse",
    allow_duplicate_rows: bool = False,
    where: Where = "cli",
) -> IngestResult:
    """Validate `path` against the contract for `kind` and store it as one upload.

    `on_existing` says what to do with rows the dataset (uploads of the same name) already
    holds: refuse (RowsAlreadyStored says how many), append_new (store the others only) or
    replace (the file takes the place of those uploads, in one transaction).
    `allow_duplicate_rows` stores outcome rows the file repeats exactly (refused otherwise);
    `where` ("cli" or "app") chooses whose controls the report's fixes name.

    Raises ValidationFailed (with the report), DuplicateUpload, StorageFull or
    InvalidInput; in every failure the warehouse and catalog are left exactly as they were.
    """
    store.authorize("upload")
    path = Path(path)
    fact = fact_of(kind)
    check_choice("on_existing", on_existing, OnExisting)
    step = progress or (lambda fraction, message: None)
    name = dataset or Path(file_name or path.name).stem
    file_name = file_name or path.name
    _check_name(name)
    _check_size(path, file_name, upload_limit_mb)

    reconcile(store)  # finish any upload an earlier process left half-recorded
    remove_stale()  # and the staging folders of ingests that were killed
    step(0.02, "Computing checksum")
    digest = checksum(path)
    earlier = store.catalog.dataset_with_checksum(digest, kind)
    if earlier is not None and on_existing != "replace":
        raise DuplicateUpload(
            f"This file was already uploaded as dataset {earlier.name!r} ({earlier.file_name}, "
            f"{earlier.uploaded_at:%Y-%m-%d %H:%M} UTC, {earlier.rows:,} rows); nothing was "
            "written."
        )

    check_choice("where", where, Where)
    report = ValidationReport(file_name, kind, where=where)
    with _temp_space(), Staging() as staging:
        step(0.05, f"Reading {file_name}")
        read_into(staging, path, sheet, Limits.of(row_limit))
        _check_rows(staging, file_name, row_limit)
        step(0.35, "Checking the data contract")
        context = _context(store, kind, name)
        context.allow_duplicate_rows = allow_duplicate_rows
        staged = check_file(staging, fact, mapping or {}, context, report)
        if staged is None or not report.ok:
            raise ValidationFailed(report)
        entities = entities_in(staging, kind, "clean")
        notes = _notes(fact.extras, staged)
        staging.close()
        record = LoadRecord(
            str(uuid.uuid4()),
            name,
            kind,
            file_name,
            digest,
            report.rows,
            staged.plan.mapping_used,
            store.user,
            now(),
        )
        step(0.6, "Checking against stored data and writing")
        record, replaced = write_load(
            store.warehouse,
            staging.path,
            fact,
            staged,
            record,
            report,
            allow_unknown_units,
            on_existing,
        )
    notes += _existing_notes(report.rows, record.rows, replaced, on_existing)
    step(0.9, "Recording the upload in the catalog")
    try:
        declared: list[str] = []
        saved = record_in_catalog(store, record, entities, notes, declared=declared)
    except Exception:
        _remove_rows(store, record.dataset_id)  # keep the two databases in agreement
        raise
    for dataset_id in replaced:  # their rows went in the same commit as the new ones
        store.catalog.remove_dataset(dataset_id)
    store.audit(
        "upload",
        saved.name,
        dataset_id=saved.id,
        kind=kind,
        rows=saved.rows,
        file_name=saved.file_name,
        checksum=saved.checksum,
        on_existing=on_existing,
        replaced=replaced,
        notes=notes,
    )
    step(1.0, f"Stored {report.rows:,} rows")
    return IngestResult(saved, report, notes, declared)


@contextmanager
def _temp_space():
    """A full temporary folder (the staging database lives there) as StorageFull."""
    try:
        yield
    except ImpactError:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise StorageFull(temp_full_message(exc)) from exc
        raise


def validate_file(
    store: Store,
    path: Path | str,
    kind: str,
    *,
    mapping: dict[str, str] | None = None,
    dataset: str | None = None,
    sheet: str | None = None,
) -> ValidationReport:
    """The file rules alone (no write): what an upload of this file would report."""
    path = Path(path)
    report = ValidationReport(path.name, kind)
    with Staging() as staging:
        read_into(staging, path, sheet)
        name = dataset or path.stem
        check_file(staging, fact_of(kind), mapping or {}, _context(store, kind, name), report)
    return report


def delete_upload(store: Store, dataset_id: str, *, force: bool = False) -> Dataset:
    """Remove one upload from both databases (admins only), and record who did it.

    Refused (InUse, listing them) while a study or metric depends on the upload, unless
    `force`: the audit entry then names what was depending on it."""
    store.authorize("delete_upload")
    dataset = next((d for d in store.catalog.datasets() if d.id == dataset_id), None)
    if dataset is None:
        raise InvalidInput(f"No upload with id {dataset_id!r}; `impact datasets` lists them.")
    using = dependents(store, dataset)
    if using and not force:
        raise InUse(
            f"Upload {dataset.name!r} ({dataset.rows:,} rows) was not deleted: "
            f"{'; '.join(using)}. Deleting it would take their data away. Delete it anyway "
            "only if that is what you mean (impact delete --force, or 'Delete anyway' on "
            "the Data page).",
            dependents=using,
        )
    _remove_rows(store, dataset_id)
    store.catalog.remove_dataset(dataset_id)
    store.audit(
        "delete_upload",
        dataset.name,
        dataset_id=dataset_id,
        rows=dataset.rows,
        file_name=dataset.file_name,
        forced=bool(using),
        dependents=using,
    )
    return dataset


def remove_load(store: Store, dataset_id: str) -> None:
    """Remove one upload's warehouse rows and ledger entry (admins only), audited; its
    catalog record is then reported by `impact check` and dropped on repair."""
    store.authorize("delete_upload")
    rows = _remove_rows(store, dataset_id)
    store.audit("remove_load", dataset_id, dataset_id=dataset_id, rows=rows)


def _remove_rows(store: Store, dataset_id: str) -> int:
    """The warehouse side of a delete; callers have checked the role. Returns rows removed."""
    removed = 0
    with store.warehouse.transaction() as tx:
        for table in FACT_TABLES:
            removed += tx.scalar(f"SELECT count(*) FROM {table} WHERE dataset_id = ?", [dataset_id])
            tx.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])
        tx.execute("DELETE FROM loads WHERE dataset_id = ?", [dataset_id])
    return removed


def _check_size(path: Path, file_name: str, limit_mb: float | None) -> None:
    if not path.is_file():
        raise InvalidInput(f"{path} does not exist or is not a file.")
    if limit_mb is None:
        from impact.config import settings

        limit_mb = settings().upload_limit_mb
    size_mb = path.stat().st_size / 2**20
    if size_mb > limit_mb:
        raise InvalidInput(
            f"{file_name} is {size_mb:,.1f} MB, above the upload limit of {limit_mb:,g} MB. "
            "Split the file, or raise IMPACT_UPLOAD_LIMIT_MB."
        )


def _check_name(name: str) -> None:
    if not name.strip():
        raise InvalidInput("The dataset name is blank; give it a name (or leave it unset).")
    if not name.isprintable():
        bad = next(c for c in name if not c.isprintable())
        raise InvalidInput(
            f"The dataset name {name!r} contains the control character U+{ord(bad):04X} (a "
            "line break, tab or similar), which would garble listings. Use a name on one "
            "line, without tabs."
        )


def _check_rows(staging: Staging, file_name: str, limit: int | None) -> None:
    """The exact count once parsed (read_into refused what it could tell before)."""
    Limits.of(limit).check_rows(file_name, staging.scalar("SELECT count(*) FROM raw"))


def _context(store: Store, kind: str, dataset: str) -> FileContext:
    context = FileContext()
    if kind == "assignments":
        context.declared_arms = {
            s.name: list(s.arms) for s in store.catalog.studies("ab") if s.arms
        }
    if kind == "outcomes":
        defined = [m for m in store.catalog.metrics() if m.dataset == dataset]
        context.duration_metrics = {m.column for m in defined if m.value_kind == "time"}
        context.numeric_columns = {c for m in defined for c in (m.column, m.denominator) if c}
    return context


def _existing_notes(
    rows: int, stored: int, replaced: list[str], on_existing: OnExisting
) -> list[str]:
    if on_existing == "append_new" and stored < rows:
        return [f"{rows - stored:,} of {rows:,} rows were already stored and were skipped."]
    if replaced:
        return [f"Replaced {len(replaced)} earlier upload(s) of this dataset."]
    return []


def _notes(extras: str, staged: StagedFile) -> list[str]:
    notes = []
    if staged.plan.mapping_used:
        pairs = ", ".join(f"{s} → {t}" for s, t in staged.plan.mapping_used.items())
        notes.append(f"Columns mapped: {pairs}.")
    if extras == "metrics":
        notes.append(f"Metrics: {', '.join(staged.number_extras)}.")
        if staged.text_extras:
            notes.append(f"Segments: {', '.join(staged.text_extras)}.")
    elif extras == "features" and (staged.number_extras or staged.text_extras):
        notes.append(f"Features kept: {', '.join(staged.number_extras + staged.text_extras)}.")
    elif extras == "none" and staged.plan.extras:
        notes.append(f"Ignored columns not in the contract: {', '.join(staged.plan.extras)}.")
    return notes
