"""Rows an upload shares with what its dataset already holds, and what to do about them.

Outcomes have no key, so a cumulative re-export (every stored row plus the new ones) would
double every sum. A file row is "already stored" when each of its metric values is stored
under the same dataset name with the same unit, time and metric. `on_existing` chooses:
refuse (the default, saying how many and how to choose), append_new (store only the rows
not yet stored) or replace (the file takes the place of every upload of that name, inside
the one write transaction). Facts with keys refuse stored keys by rule already; for them
"already stored" means the same key with the same values.
"""

from __future__ import annotations

from impact.contract import Fact
from impact.errors import RowsAlreadyStored
from impact.ingest.rules import StagedFile
from impact.sql import quote_identifier
from impact.warehouse import Transaction
from impact.warehouse.schema import FACT_TABLES

SAME_NAME = "SELECT dataset_id FROM loads WHERE name = ? AND kind = ?"


def stored_condition(
    fact: Fact, staged: StagedFile, row: str, name: str, metric: str | None = None
) -> tuple[str, list]:
    """SQL and its parameters: the staged row `row` (for outcomes: its value of `metric`)
    is stored in an upload named `name`."""
    if fact.kind == "outcomes":
        q = quote_identifier(metric)
        return (
            f"EXISTS (SELECT 1 FROM outcomes o WHERE o.dataset_id IN ({SAME_NAME}) "
            f"AND o.unit_id = {row}.unit_id AND o.observed_at = {row}.observed_at "
            f"AND o.metric = ? AND o.value = {row}.{q})"
        ), [name, fact.kind, metric]
    same = " AND ".join(
        f"s.{quote_identifier(c)} IS NOT DISTINCT FROM {row}.{quote_identifier(c)}"
        for c in staged.plan.contract
    )
    sql = f"EXISTS (SELECT 1 FROM {fact.kind} s WHERE s.dataset_id IN ({SAME_NAME}) AND {same})"
    return sql, [name, fact.kind]


def new_row_condition(fact: Fact, staged: StagedFile, row: str, name: str) -> tuple[str, list]:
    """SQL and its parameters: the staged row holds something not stored under `name`."""
    if fact.kind != "outcomes":
        sql, params = stored_condition(fact, staged, row, name)
        return f"NOT {sql}", params
    parts, params = [], []
    for metric in staged.number_extras:
        sql, more = stored_condition(fact, staged, row, name, metric)
        parts.append(f"({row}.{quote_identifier(metric)} IS NOT NULL AND NOT {sql})")
        params += more
    return "(" + " OR ".join(parts) + ")", params


def count_stored(tx: Transaction, stg: str, fact: Fact, staged: StagedFile, name: str) -> int:
    """File rows with nothing new: every value already stored under `name`."""
    if not tx.scalar(f"SELECT count(*) FROM ({SAME_NAME})", [name, fact.kind]):
        return 0  # no upload of that name: nothing to compare the file with
    condition, params = new_row_condition(fact, staged, "c", name)
    has_value = "true"
    if fact.kind == "outcomes":  # a row of empty cells stores nothing: it is not "stored"
        has_value = " OR ".join(
            f"c.{quote_identifier(m)} IS NOT NULL" for m in staged.number_extras
        )
    sql = f"SELECT count(*) FROM {stg}.clean c WHERE ({has_value}) AND NOT {condition}"
    return tx.scalar(sql, params)


def refuse(name: str, stored: int, rows: int) -> None:
    everything = "All" if stored == rows else f"{stored:,} of the file's"
    raise RowsAlreadyStored(
        f"{everything} {rows:,} rows are already stored in dataset {name!r} (same unit, "
        "time and values); storing them again would count them twice, so nothing was "
        "written. If the file is a cumulative export, store only its new rows "
        "(on_existing='append_new'), or let it replace what the dataset holds "
        "(on_existing='replace'); or upload it under another dataset name.",
        dataset=name,
        stored=stored,
        rows=rows,
    )


def remove_same_name(tx: Transaction, name: str, kind: str) -> list[str]:
    """Delete every stored upload named `name` (inside the caller's transaction)."""
    ids = [r[0] for r in tx.execute(SAME_NAME, [name, kind]).rows]
    for table in FACT_TABLES:
        tx.execute(f"DELETE FROM {table} WHERE dataset_id IN ({SAME_NAME})", [name, kind])
    tx.execute("DELETE FROM loads WHERE name = ? AND kind = ?", [name, kind])
    return ids
