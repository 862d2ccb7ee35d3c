"""Store-level rules and the atomic write, both inside one warehouse transaction.

The staging file is attached read-only; rules that need stored data (keys already stored,
unknown units, the same file twice) run first, and if any fails the transaction rolls back
before a row is written. Otherwise every table's rows and the load ledger entry commit
together.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from impact.contract import Fact
from impact.errors import DuplicateUpload, ValidationFailed
from impact.ingest import existing
from impact.ingest.report import FAILURES_KEPT, RuleResult, ValidationReport
from impact.ingest.rules import StagedFile
from impact.ingest.wording import say
from impact.sql import quote_identifier
from impact.vocabulary import OnExisting
from impact.warehouse import Transaction, Warehouse

KNOWN_UNITS = (
    "SELECT unit_id FROM assignments UNION SELECT unit_id FROM rollouts "
    "UNION SELECT unit_id FROM predictions"
)


@dataclass(frozen=True)
class LoadRecord:
    dataset_id: str
    name: str
    kind: str
    file_name: str
    checksum: str
    rows: int
    mapping: dict[str, str]
    uploaded_by: str
    loaded_at: datetime


def write_load(
    warehouse: Warehouse,
    staging_path: Path,
    fact: Fact,
    staged: StagedFile,
    record: LoadRecord,
    report: ValidationReport,
    allow_unknown_units: bool,
    on_existing: OnExisting = "refuse",
) -> tuple[LoadRecord, list[str]]:
    """Store the upload; return its record (rows: those stored) and the ids it replaced."""
    # The alias is per upload: attached databases are shared by every connection of the
    # process, so two uploads at once under one fixed name would collide.
    stg = f"stg_{uuid.uuid4().hex}"
    only_new = on_existing == "append_new"
    replaced: list[str] = []
    with warehouse.transaction(attach={stg: staging_path}) as tx:
        if on_existing == "replace":
            replaced = existing.remove_same_name(tx, record.name, record.kind)
        else:
            _refuse_same_file(tx, record)
            stored = existing.count_stored(tx, stg, fact, staged, record.name)
            nothing_new = stored == record.rows
            if stored and (nothing_new or (fact.kind == "outcomes" and not only_new)):
                existing.refuse(record.name, stored, record.rows)
            if only_new:
                record = replace(record, rows=record.rows - stored)
        _check_stored(tx, fact, report, allow_unknown_units, stg, staged, record, only_new)
        if not report.ok:
            raise ValidationFailed(report)
        _insert(tx, fact, staged, record, stg, only_new)
    return record, replaced


def _refuse_same_file(tx: Transaction, record: LoadRecord) -> None:
    row = tx.execute(
        "SELECT name, file_name, loaded_at FROM loads WHERE checksum = ? AND kind = ?",
        [record.checksum, record.kind],
    ).rows
    if row:
        name, file_name, loaded_at = row[0]
        raise DuplicateUpload(
            f"This file was already uploaded as dataset {name!r} ({file_name}, "
            f"{loaded_at:%Y-%m-%d %H:%M} UTC); nothing was written. Upload a new export, or "
            "delete the earlier upload first."
        )


def _check_stored(
    tx: Transaction,
    fact: Fact,
    report: ValidationReport,
    allow_unknown_units: bool,
    stg: str,
    staged: StagedFile,
    record: LoadRecord,
    only_new: bool,
) -> None:
    new, params = "true", []
    if only_new:  # rows identical to stored ones are skipped, not checked
        new, params = existing.new_row_condition(fact, staged, "c", record.name)
    if fact.key:
        key = ", ".join(fact.key)
        join = " AND ".join(f"s.{k} = c.{k}" for k in fact.key)
        shown = " || '/' || ".join(f"c.{k}" for k in fact.key)
        sql = (
            f"SELECT c._line AS line, '{'/'.join(fact.key)}' AS column, {shown} AS value, "
            f"'already stored by an earlier upload' AS problem FROM {stg}.clean c "
            f"WHERE EXISTS (SELECT 1 FROM {fact.kind} s WHERE {join}) AND {new} "
            "ORDER BY c._line"
        )
        _collect(
            tx,
            report.add(
                RuleResult(
                    "key_not_stored",
                    f"{key} is not already stored",
                    fix="These rows were uploaded before; remove them from the file, or "
                    f"store only the rows not yet stored ({say('append_new', report.where)}) "
                    "or replace the earlier upload of this dataset name "
                    f"({say('replace', report.where)}).",
                )
            ),
            sql,
            params,
        )
    if fact.kind == "outcomes":
        sql = (
            "SELECT c._line AS line, 'unit_id' AS column, c.unit_id AS value, "
            "'unit ' || c.unit_id || ' is in no assignment, rollout or prediction' "
            f"AS problem FROM {stg}.clean c WHERE c.unit_id NOT IN ({KNOWN_UNITS}) "
            "ORDER BY c._line"
        )
        result = report.add(
            RuleResult(
                "known_units",
                "Every unit is known (assigned, rolled out or predicted on)",
                fix="Upload the assignments, rollouts or predictions for these units first, "
                f"check the unit_id format, or {say('unknown_units', report.where)}.",
                blocking=not allow_unknown_units,
            )
        )
        _collect(tx, result, sql)


def _collect(tx: Transaction, result: RuleResult, sql: str, params: list | None = None) -> None:
    result.failed_rows = tx.scalar(f"SELECT count(*) FROM ({sql})", params)
    if result.failed_rows:
        result.failures = tx.frame(f"{sql} LIMIT {FAILURES_KEPT}", params)[
            ["line", "column", "value", "problem"]
        ]


def _insert(
    tx: Transaction,
    fact: Fact,
    staged: StagedFile,
    record: LoadRecord,
    stg: str,
    only_new: bool,
) -> None:
    did = [record.dataset_id]
    present = staged.plan.contract
    new, new_params = "true", []
    if only_new:
        new, new_params = existing.new_row_condition(fact, staged, "c", record.name)
    if fact.kind == "outcomes":
        for metric in staged.number_extras:
            q = quote_identifier(metric)
            fresh, params = "true", []
            if only_new:
                stored, params = existing.stored_condition(fact, staged, "c", record.name, metric)
                fresh = f"NOT {stored}"
            tx.execute(
                f"INSERT INTO outcomes SELECT ?, unit_id, observed_at, ?, {q} "
                f"FROM {stg}.clean c WHERE {q} IS NOT NULL AND {fresh} "
                "ORDER BY unit_id, observed_at",
                did + [metric] + params,
            )
        for segment in staged.text_extras:
            q = quote_identifier(segment)
            tx.execute(
                "INSERT INTO unit_segments SELECT ?, unit_id, ?, "
                f"arg_max({q}, observed_at) FROM {stg}.clean c WHERE {q} IS NOT NULL "
                f"AND {new} GROUP BY unit_id ORDER BY unit_id",
                did + [segment] + new_params,
            )
    else:
        columns = [c.name for c in fact.columns]
        values = [quote_identifier(c) if c in present else "NULL" for c in columns]
        order = {
            "predictions": "model, predicted_at",
            "assignments": "experiment, unit_id",
            "rollouts": "study, unit_id",
        }[fact.kind]
        tx.execute(
            f"INSERT INTO {fact.kind} (dataset_id, {', '.join(columns)}) "
            f"SELECT ?, {', '.join(values)} FROM {stg}.clean c WHERE {new} ORDER BY {order}",
            did + new_params,
        )
    features = staged.number_extras + staged.text_extras
    if fact.kind == "predictions" and features:
        # One pass over the file for every feature: each row meets the list of features.
        keys = ", ".join("(?, ?)" for _ in features)
        number = _by_feature(features, staged.number_extras)
        text = _by_feature(features, [f for f in features if f not in staged.number_extras])
        tx.execute(
            f"INSERT INTO prediction_features SELECT * FROM (SELECT ? AS dataset_id, "
            f"prediction_id, k.feature, {number} AS number, {text} AS text "
            f"FROM {stg}.clean c CROSS JOIN (VALUES {keys}) AS k(i, feature) WHERE {new}) "
            "AS f WHERE number IS NOT NULL OR text IS NOT NULL",
            did + [v for i, feature in enumerate(features) for v in (i, feature)] + new_params,
        )
    tx.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record.dataset_id,
            record.name,
            record.kind,
            record.file_name,
            record.checksum,
            record.rows,
            json.dumps(record.mapping),
            record.uploaded_by,
            record.loaded_at,
        ],
    )


def _by_feature(features: list[str], these: list[str]) -> str:
    """SQL: the value of feature number k.i when it is one of `these`, else NULL."""
    cases = " ".join(
        f"WHEN {i} THEN c.{quote_identifier(f)}" for i, f in enumerate(features) if f in these
    )
    return f"CASE k.i {cases} END" if cases else "NULL"


def now() -> datetime:
    return datetime.now(UTC)
