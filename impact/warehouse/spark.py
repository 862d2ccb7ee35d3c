"""The warehouse on Apache Spark: the same queries, run where the facts already are.

The queries' DuckDB SQL is written in Spark's dialect by impact.warehouse.dialect; the fact
tables they name (loads, assignments, outcomes …) are temporary views over the user's own
tables or Parquet paths, renamed by a column mapping (impact.warehouse.sources), so nothing
is copied and only the reductions' small results come back to the driver. A temporary
table a query creates (the DiD panel and its relations) is a checkpointed view of one
Spark session, so iterations do not grow an ever longer plan. Facts are read-only here:
they change in the user's tables.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace as dc_replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from impact.errors import ImpactError, WarehouseUnavailable
from impact.warehouse.dialect import to_spark
from impact.warehouse.engine import Params, Result
from impact.warehouse.sources import Sources

LOCAL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # the CLI and the app report progress
    "spark.sql.ansi.enabled": "false",  # NULL, not an error, for x / 0 as in DuckDB's nullif
}


class ReadOnlyFacts(ImpactError):
    """A write was attempted on facts that live in the user's Spark tables."""


_sessions: dict[str, Any] = {}
_lock = threading.Lock()
_registered: dict[int, str] = {}  # session → the views it holds


def spark_session(master: str, conf: dict[str, str] | None = None):
    """One SparkSession per master for the process: `local[*]` (or local[N]) starts Spark
    in this process, `sc://host:15002` connects to a Spark Connect server."""
    with _lock:
        if master not in _sessions:
            try:
                from pyspark.sql import SparkSession
            except ImportError as exc:
                raise WarehouseUnavailable(
                    "IMPACT_ENGINE=spark needs PySpark: pip install 'impact[spark]'."
                ) from exc
            settings = {**LOCAL_CONF, **(conf or {})}
            if master.startswith("sc://"):
                builder = SparkSession.builder.remote(master)
                settings = {"spark.sql.session.timeZone": "UTC", **(conf or {})}
            else:
                builder = SparkSession.builder.master(master).appName("impact")
            for key, value in settings.items():
                builder = builder.config(key, value)
            try:
                _sessions[master] = builder.getOrCreate()
                if not master.startswith("sc://"):
                    _sessions[master].sparkContext.setLogLevel("ERROR")
            except Exception as exc:  # no Java, no server: say what to do
                raise WarehouseUnavailable(
                    f"Cannot start Spark at {master!r}: {exc}. Check that Java 17 is installed "
                    "(local masters) or that the Spark Connect server is reachable."
                ) from exc
        return _sessions[master]


class SparkStatements:
    """Statements on one Spark session (temporary tables live as long as it)."""

    def __init__(self, spark, remote: bool = False):
        self._spark = spark
        self._remote = remote

    def execute(self, sql: str, params: Params = None) -> Result:
        statement = to_spark(sql, params)
        frame = self._spark.sql(statement.sql)
        if statement.temp_table is not None:
            if self._remote:  # a Connect server keeps no view of a checkpoint: cache it
                frame = frame.cache()
                frame.count()
            else:
                frame = frame.localCheckpoint(eager=True)
            frame.createOrReplaceTempView(statement.temp_table)
            return Result([], [])
        rows = frame.collect()
        return Result(list(frame.columns), [tuple(_python(v) for v in r) for r in rows])

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        frame = self.execute(sql, params).df()
        for column in frame.columns:  # DATE columns as DuckDB's frames give them
            values = frame[column].dropna()
            if len(values) and all(type(v) is date for v in values):
                frame[column] = pd.to_datetime(frame[column])
        return frame

    def scalar(self, sql: str, params: Params = None) -> Any:
        return self.execute(sql, params).scalar()


class SparkWarehouse:
    """The read interface of impact.warehouse.Warehouse (execute, frame, scalar, session)
    over Spark views of the configured sources."""

    engine = "spark"

    def __init__(self, master: str, sources: Sources, conf: dict[str, str] | None = None):
        self.master = master
        self.sources = sources
        self.path = Path(f"spark/{master}")  # the pages' cache keys name the warehouse
        self._conf = conf
        self._base: SparkStatements | None = None
        self._resolved = not sources.datasets

    @property
    def spark(self):
        return spark_session(self.master, self._conf)

    def _resolve(self, spark) -> None:
        """Note each source's columns (optional contract columns are read by name)."""
        if self._resolved:
            return
        datasets = []
        for source in self.sources.datasets:
            frame = spark.sql(f"SELECT * FROM {source.location.from_sql()} LIMIT 0")
            datasets.append(dc_replace(source, present=tuple(frame.columns)))
        self.sources = dc_replace(self.sources, datasets=tuple(datasets))
        self._resolved = True

    def _register(self, spark) -> SparkStatements:
        self._resolve(spark)
        session = SparkStatements(spark, self.master.startswith("sc://"))
        for sql in self.sources.view_statements():
            spark.sql(sql)
        for i, source in enumerate(self.sources.datasets):
            spark.sql(f"CREATE OR REPLACE TEMP VIEW source_{i} AS {source.select_sql()}")
        return session

    def _shared(self) -> SparkStatements:
        """The process's session, its views registered once per set of sources."""
        if self._base is None:
            spark = self.spark
            self._resolve(spark)
            key = repr(self.sources.view_statements())
            with _lock:
                if _registered.get(id(spark)) != key:
                    self._register(spark)
                    _registered[id(spark)] = key
            self._base = SparkStatements(spark, self.master.startswith("sc://"))
        return self._base

    def execute(self, sql: str, params: Params = None) -> Result:
        return self._shared().execute(sql, params)

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self._shared().frame(sql, params)

    def scalar(self, sql: str, params: Params = None) -> Any:
        return self.execute(sql, params).scalar()

    @contextmanager
    def session(self) -> Iterator[SparkStatements]:
        """A Spark session of its own (its temporary views are its own too)."""
        if self.master.startswith("sc://"):
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.remote(self.master).create()
            spark.conf.set("spark.sql.session.timeZone", "UTC")
        else:
            spark = self.spark.newSession()
        yield self._register(spark)

    @contextmanager
    def transaction(self, attach=None) -> Iterator[None]:
        raise ReadOnlyFacts(
            "On Spark the facts are the tables named in the sources file "
            "(IMPACT_SPARK_SOURCES); Impact reads them and never writes. Add or change rows "
            "in those tables, or run without IMPACT_ENGINE=spark to upload files."
        )
        yield  # pragma: no cover

    def source(self, index: int):
        """Source `index` with its table's columns noted, so an optional contract column
        present by its own name counts as read."""
        self._resolve(self.spark)
        return self.sources.datasets[index]

    def column_types(self, index: int) -> dict[str, str]:
        """Contract column → Spark type of source `index` (the plan's schema; no data read).
        A mapped column the table lacks is left out."""
        source = self.sources.datasets[index]
        frame = self.spark.sql(f"SELECT * FROM {source.location.from_sql()} LIMIT 0")
        present = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
        out = {}
        for name in [c.name for c in _fact_columns(source.kind)]:
            if name in source.values:
                out[name] = "string"
            elif (column := source.columns.get(name, name)) in present:
                out[name] = present[column]
        if source.kind == "outcomes" and source.metrics:
            out |= {"metric": "string", "value": "double"}
        return out


def _fact_columns(kind: str):
    from impact.contract import FACTS

    return FACTS[kind].columns


def _python(value: Any) -> Any:
    """Values as DuckDB returns them: floats for decimals, UTC-aware timestamps (PySpark
    gives naive datetimes in the driver's local time)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone(UTC)
    return value
