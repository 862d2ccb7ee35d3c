"""A DuckDB warehouse's tables written as Parquet, for Spark to read in place
(`impact demo --engine spark`, the parity tests)."""

from __future__ import annotations

from pathlib import Path

from impact.warehouse.engine import Warehouse, _literal_path
from impact.warehouse.schema import TABLES
from impact.warehouse.sources import Location, Sources


def export_parquet(warehouse: Warehouse, folder: Path) -> Sources:
    """Every table of the current version as folder/<table>.parquet; their Sources."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {}
    with warehouse.session() as s:
        for table in TABLES:
            path = folder / f"{table}.parquet"
            s.execute(f"COPY {table} TO '{_literal_path(path)}' (FORMAT parquet)")
            tables[table] = Location(path=str(path))
    return Sources(tables=tables)
