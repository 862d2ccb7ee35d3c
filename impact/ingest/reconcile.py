"""Keep the warehouse and the catalog in agreement after a crash.

The warehouse commit is the point of no return for an upload: its rows and its ledger
entry (`loads`) land in one transaction. The catalog record follows. A process killed in
between leaves a load the catalog does not know; reconcile finishes it from the ledger
and the stored rows, so the upload is then fully there. A catalog record without a load
(the warehouse was restored, or a file removed) is reported, and dropped on repair.

Repairs write, so they need the "repair" role (analysts and admins) and are audited;
`repair=False` only reports, and is what a viewer gets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from impact.ingest.record import entities_in, record_in_catalog
from impact.ingest.write import LoadRecord
from impact.store import Store


@dataclass(frozen=True)
class Mismatch:
    dataset_id: str
    name: str
    problem: str
    repaired: bool


def reconcile(store: Store, *, repair: bool = True) -> list[Mismatch]:
    if getattr(store.warehouse, "engine", "duckdb") == "spark":
        return []  # nothing is uploaded there: its loads are the sources file's datasets
    if repair:
        store.authorize("repair")
    loads = {
        r["dataset_id"]: r
        for r in store.warehouse.execute(
            "SELECT dataset_id, name, kind, file_name, checksum, row_count, mapping, "
            "uploaded_by, loaded_at FROM loads"
        ).records()
    }
    known = {d.id: d for d in store.catalog.datasets()}
    found = []
    for dataset_id in sorted(set(loads) - set(known)):
        row = loads[dataset_id]
        if repair:
            record = LoadRecord(
                dataset_id,
                row["name"],
                row["kind"],
                row["file_name"],
                row["checksum"],
                int(row["row_count"]),
                json.loads(row["mapping"]),
                row["uploaded_by"],
                row["loaded_at"],
            )
            source = f"(SELECT * FROM {row['kind']} WHERE dataset_id = ?) AS rows"
            entities = entities_in(store.warehouse, row["kind"], source, [dataset_id])
            notes: list[str] = []
            record_in_catalog(store, record, entities, notes, action="repair")
            store.audit(
                "repair",
                record.name,
                dataset_id=dataset_id,
                fix="recorded an upload interrupted after its warehouse commit",
                kind=record.kind,
                rows=record.rows,
                uploaded_by=record.uploaded_by,
                notes=notes,
            )
        found.append(
            Mismatch(
                dataset_id,
                row["name"],
                "stored in the warehouse but missing "
                "from the catalog (an upload interrupted after its commit)",
                repair,
            )
        )
    for dataset_id in sorted(set(known) - set(loads)):
        dataset = known[dataset_id]
        if repair:
            store.catalog.remove_dataset(dataset_id, action="repair")
            store.audit(
                "repair",
                dataset.name,
                dataset_id=dataset_id,
                fix="dropped a catalog record whose rows are not in the warehouse",
                kind=dataset.kind,
                rows=dataset.rows,
                uploaded_by=dataset.uploaded_by,
            )
        found.append(
            Mismatch(
                dataset_id,
                dataset.name,
                "recorded in the catalog but its rows are not in the warehouse",
                repair,
            )
        )
    return found
