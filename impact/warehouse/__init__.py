"""The warehouse: the only package that talks to DuckDB (through `engine`)."""

from impact.warehouse.engine import (
    Result,
    Staging,
    Transaction,
    Warehouse,
    is_disk_full,
    temp_full_message,
)

__all__ = [
    "Result",
    "Staging",
    "Transaction",
    "Warehouse",
    "is_disk_full",
    "temp_full_message",
]
