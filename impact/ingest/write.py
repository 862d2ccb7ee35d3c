"""Store-level rules and the atomic write, both inside one warehouse transaction.

The staging file is attached read-only; rules that need stored data (keys already stored,
unknown units, the same file twice) run first, and if any fails the transaction rolls back
before a row is written. Otherwise every table's rows and the load ledger entry commit
together.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from impact.contract import Fact
from impact.errors import DuplicateUpload, ValidationFailed
from impact.ingest.report import FAILURES_KEPT, RuleResult, ValidationReport
from impact.ingest.rules import StagedFile
from impact.sql import quote_identifier
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
) -> None:
    # The alias is per upload: attached databases are shared by every connection of the
    # process, so two uploads at once under one fixed name would collide.
    stg = f"stg_{uuid.uuid4().hex}"
    with warehouse.transaction(attach={stg: staging_path}) as tx:
        _refuse_same_file(tx, record)
        _check_stored(tx, fact, report, allow_unknown_units, stg)
        if not report.ok:
            raise ValidationFailed(report)
        _insert(tx, fact, staged, record, stg)


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
    tx: Transaction, fact: Fact, report: ValidationReport, allow_unknown_units: bool, stg: str
) -> None:
    if fact.key:
        key = ", ".join(fact.key)
        join = " AND ".join(f"s.{k} = c.{k}" for k in fact.key)
        shown = " || '/' || ".join(f"c.{k}" for k in fact.key)
        sql = (
            f"SELECT c._line AS line, '{'/'.join(fact.key)}' AS column, {shown} AS value, "
            f"'already stored by an earlier upload' AS problem FROM {stg}.clean c "
            f"WHERE EXISTS (SELECT 1 FROM {fact.kind} s WHERE {join}) ORDER BY c._line"
        )
        _collect(
            tx,
            report.add(
                RuleResult(
                    "key_not_stored",
                    f"{key} is not already stored",
                    fix="These rows were uploaded before; remove them from the file.",
                )
            ),
            sql,
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
                "check the unit_id format, or accept them with --allow-unknown-units.",
                blocking=not allow_unknown_units,
            )
        )
        _collect(tx, result, sql)


def _collect(tx: Transaction, result: RuleResult, sql: str) -> None:
    result.failed_rows = tx.scalar(f"SELECT count(*) FROM ({sql})")
    if result.failed_rows:
        result.failures = tx.frame(f"{sql} LIMIT {FAILURES_KEPT}")[
            ["line", "column", "value", "problem"]
        ]


def _insert(tx: Transaction, fact: Fact, staged: StagedFile, record: LoadRecord, stg: str) -> None:
    did = [record.dataset_id]
    present = staged.plan.contract
    if fact.kind == "outcomes":
        for metric in staged.number_extras:
            q = quote_identifier(metric)
            tx.execute(
                "INSERT INTO outcomes SELECT ?, unit_id, observed_at, ?, "
                + q
                + f" FROM {stg}.clean WHERE {q} IS NOT NULL ORDER BY unit_id, observed_at",
                did + [metric],
            )
        for segment in staged.text_extras:
            q = quote_identifier(segment)
            tx.execute(
                "INSERT INTO unit_segments SELECT ?, unit_id, ?, "
                f"arg_max({q}, observed_at) FROM {stg}.clean WHERE {q} IS NOT NULL "
                "GROUP BY unit_id ORDER BY unit_id",
                did + [segment],
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
            f"SELECT ?, {', '.join(values)} FROM {stg}.clean ORDER BY {order}",
            did,
        )
    if fact.kind == "predictions":
        for feature in staged.number_extras + staged.text_extras:
            q = quote_identifier(feature)
            number = q if feature in staged.number_extras else "NULL"
            text = "NULL" if feature in staged.number_extras else q
            tx.execute(
                f"INSERT INTO prediction_features SELECT ?, prediction_id, ?, {number}, "
                f"{text} FROM {stg}.clean WHERE {q} IS NOT NULL",
                did + [feature],
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


def now() -> datetime:
    return datetime.now(UTC)
