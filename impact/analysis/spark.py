"""The Spark engine's two questions outside the readouts: putting the demo where Spark
reads it, and whether the configured sources meet the data contract."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from impact.config import Settings
from impact.store import Store


def register_demo(store: Store, config: Settings) -> tuple[Path, Path]:
    """The DuckDB demo's tables as Parquet beside the warehouse, named in the sources file
    (IMPACT_SPARK_SOURCES) as tables in Impact's layout; returns (folder, sources file)."""
    from impact.warehouse.parquet import export_parquet

    folder = config.warehouse_path.parent / "spark-demo"
    sources = export_parquet(store.warehouse, folder)
    target = config.spark_sources or config.warehouse_path.parent / "spark-sources.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    tables = {
        name: {"path": loc.path, "format": loc.format} for name, loc in sources.tables.items()
    }
    target.write_text(json.dumps({"tables": tables}, indent=2) + "\n")
    return folder, target


def on_spark(store: Store) -> bool:
    """Whether the facts are read on Spark (IMPACT_ENGINE=spark): read-only, no uploads."""
    return getattr(store.warehouse, "engine", "duckdb") == "spark"


def source_table(store: Store) -> pd.DataFrame:
    """The datasets the Spark sources hold (the Data page's list on Spark, where nothing is
    uploaded): name, kind, where it is read from, rows (when the table records them)."""
    from impact.queries.portfolio import loads

    frame = loads(store.warehouse)
    return pd.DataFrame(
        {
            "dataset": frame["name"],
            "kind": frame["kind"],
            "source": frame["file_name"],
            "rows": frame["row_count"],
            "registered_at": frame["loaded_at"],
        }
    )


def check_sources(store: Store) -> list:
    """The data contract's report for every dataset of the Spark sources file, computed by
    SQL on Spark (impact.queries.source_checks); InvalidInput when not on Spark."""
    from impact.errors import InvalidInput
    from impact.queries.source_checks import check_source

    warehouse = store.warehouse
    if not on_spark(store):
        raise InvalidInput(
            "Sources are checked on Spark: set IMPACT_ENGINE=spark (or impact --engine spark "
            "sources); uploads to DuckDB are checked as they are stored."
        )
    arms = {s.name: set(s.arms) for s in store.catalog.studies("ab") if s.arms}
    return [check_source(warehouse, i, arms) for i in range(len(warehouse.sources.datasets))]
