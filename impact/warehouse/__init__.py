"""The warehouse: the only package that talks to DuckDB (through `engine`)."""

from impact.warehouse.engine import Result, Staging, Transaction, Warehouse

__all__ = ["Result", "Staging", "Transaction", "Warehouse"]
