"""Warehouse-native sources on Spark: the user's tables, renamed into the fact tables the
queries name (impact.warehouse.schema), as temporary views. Nothing is copied.

A sources file (JSON, IMPACT_SPARK_SOURCES) lists
- `tables`: fact tables already in Impact's layout (loads, outcomes … as the demo writes
  them), each a table name or a path (Parquet or Delta), and
- `datasets`: one per dataset of the data contract, in the user's own shape:
    {"name": "shop_outcomes", "kind": "outcomes", "path": "s3://…/outcomes", "format": "delta",
     "columns": {"unit_id": "customer_id", "observed_at": "ts"},
     "metrics": ["revenue", "orders"], "segments": ["region"]}
  `columns` maps a contract column to the table's column (same name if left out),
  `metrics` (outcomes) are the columns that become (metric, value) rows, `segments` the
  unit segment columns (unit_segments), `features` (predictions) the feature columns.
  `values` fixes a column to one value (e.g. {"experiment": "checkout"}).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from impact.contract import FACTS
from impact.errors import InvalidInput
from impact.vocabulary import FactKind
from impact.warehouse.dialect import literal
from impact.warehouse.schema import TABLES

FORMATS = ("parquet", "delta", "orc", "csv", "json")


def ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _text(value) -> str:
    return literal(value).sql(dialect="spark")


@cache
def columns(table: str) -> tuple[tuple[str, str], ...]:
    """(name, Spark type) of a fact table, read from its one definition in schema.py."""
    tree = sqlglot.parse_one(TABLES[table], read="duckdb")
    out = []
    for col in tree.this.expressions:
        if isinstance(col, exp.ColumnDef):
            kind = col.args["kind"]
            spark = "TIMESTAMP" if kind.this == exp.DataType.Type.TIMESTAMPTZ else kind.sql("spark")
            out.append((col.name, spark))
    return tuple(out)


@dataclass(frozen=True)
class Location:
    table: str | None = None
    path: str | None = None
    format: str = "parquet"

    def from_sql(self) -> str:
        if self.table:
            return ".".join(ident(p) for p in self.table.split("."))
        return f"{self.format}.{ident(str(self.path))}"

    def where(self) -> str:
        return f"table {self.table}" if self.table else f"{self.format} at {self.path}"


@dataclass(frozen=True)
class Source:
    name: str
    kind: FactKind
    location: Location
    columns: dict[str, str] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    present: tuple[str, ...] = ()  # the table's columns, once the engine has looked

    def read(self, name: str) -> bool:
        """Whether contract column `name` is read: mapped, fixed or present by its name."""
        return name in self.columns or name in self.values or name in self.present

    def where(self) -> str:
        return self.location.where()

    def column(self, name: str) -> str:
        """The expression of contract column `name` (NULL when an optional one is absent)."""
        if name in self.values:
            return _text(self.values[name])
        return ident(self.columns.get(name, name))

    def select_sql(self) -> str:
        """The source's rows with the contract's column names (what the checks read)."""
        fact = FACTS[self.kind]
        cols = [c.name for c in fact.columns if c.required or self.read(c.name)]
        picked = ", ".join(f"{self.column(c)} AS {ident(c)}" for c in cols)
        return f"SELECT {picked} FROM {self.location.from_sql()}"

    def fact_sql(self, table: str) -> str | None:
        """This source's rows of fact table `table`, or None if it has none."""
        src, mine = self.location.from_sql(), _text(self.name)
        if table == self.kind and table != "outcomes":
            return _typed(table, {"dataset_id": mine, **self._mapped(table)}, src)
        if table == "outcomes" and self.kind == "outcomes":
            if not self.metrics:  # long already: metric and value columns
                return _typed(table, {"dataset_id": mine, **self._mapped(table)}, src)
            parts = []
            for metric in self.metrics:
                cols = {
                    "dataset_id": mine,
                    "unit_id": self.column("unit_id"),
                    "observed_at": self.column("observed_at"),
                    "metric": _text(metric),
                    "value": ident(metric),
                }
                parts.append(_typed(table, cols, src, f"{ident(metric)} IS NOT NULL"))
            return " UNION ALL ".join(parts)
        if table == "unit_segments" and self.segments:
            parts = [
                "SELECT DISTINCT * FROM ("
                + _typed(
                    table,
                    {
                        "dataset_id": mine,
                        "unit_id": self.column("unit_id"),
                        "segment": _text(s),
                        "value": ident(s),
                    },
                    src,
                    f"{ident(s)} IS NOT NULL",
                )
                + ")"
                for s in self.segments
            ]
            return " UNION ALL ".join(parts)
        if table == "prediction_features" and self.features:
            parts = [
                _typed(
                    table,
                    {
                        "dataset_id": mine,
                        "prediction_id": self.column("prediction_id"),
                        "feature": _text(f),
                        "number_value": f"try_cast({ident(f)} AS DOUBLE)",
                        "text_value": f"CASE WHEN try_cast({ident(f)} AS DOUBLE) IS NULL "
                        f"THEN CAST({ident(f)} AS STRING) END",
                    },
                    src,
                    f"{ident(f)} IS NOT NULL",
                )
                for f in self.features
            ]
            return " UNION ALL ".join(parts)
        return None

    def _mapped(self, table: str) -> dict[str, str]:
        fact = FACTS[self.kind]
        known = {c.name for c in fact.columns if c.required or self.read(c.name)}
        if table == "outcomes":
            known |= {"metric", "value"}
        return {c: self.column(c) for c, _ in columns(table) if c in known}


def _typed(table: str, exprs: dict[str, str], source: str, where: str = "") -> str:
    """SELECT of every column of fact table `table` in its type; absent ones NULL."""
    picked = ", ".join(
        f"CAST({exprs.get(name, 'NULL')} AS {kind}) AS {name}" for name, kind in columns(table)
    )
    return f"SELECT {picked} FROM {source}" + (f" WHERE {where}" if where else "")


@dataclass(frozen=True)
class Sources:
    tables: dict[str, Location] = field(default_factory=dict)
    datasets: tuple[Source, ...] = ()
    # The loads' time, so the data version (and the pages' caches) follow the sources file.
    registered_at: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    def view_statements(self) -> list[str]:
        """CREATE TEMP VIEW for every fact table the queries name."""
        out = []
        for table in TABLES:
            parts = []
            if table in self.tables:
                parts.append(
                    _typed(
                        table,
                        {c: ident(c) for c, _ in columns(table)},
                        self.tables[table].from_sql(),
                    )
                )
            if table == "loads":
                parts += [self._load_row(s) for s in self._first_of_each_name()]
            else:
                parts += [sql for s in self.datasets if (sql := s.fact_sql(table))]
            if not parts:
                parts = [_typed(table, {}, "(SELECT 1)", "false")]
            body = " UNION ALL ".join(f"({p})" for p in parts)
            out.append(f"CREATE OR REPLACE TEMP VIEW {table} AS {body}")
        return out

    def _first_of_each_name(self) -> list[Source]:
        seen: dict[str, Source] = {}
        for s in self.datasets:
            seen.setdefault(s.name, s)
        return list(seen.values())

    def _load_row(self, s: Source) -> str:
        cols = {
            "dataset_id": _text(s.name),
            "name": _text(s.name),
            "kind": _text(s.kind),
            "file_name": _text(s.where()),
            "checksum": "''",
            "row_count": "NULL",
            "mapping": _text(json.dumps(s.columns)),
            "uploaded_by": "'spark'",
            "loaded_at": _text(self.registered_at),
        }
        return _typed("loads", cols, "(SELECT 1)")


def view_statements(sources: Sources) -> list[str]:
    return sources.view_statements()


def _location(spec: dict, what: str) -> Location:
    if isinstance(spec, str):
        spec = {"path": spec} if ("/" in spec or ":" in spec) else {"table": spec}
    fmt = spec.get("format", "parquet")
    if fmt not in FORMATS:
        raise InvalidInput(f"{what}: format {fmt!r} is not one of {', '.join(FORMATS)}.")
    if bool(spec.get("table")) == bool(spec.get("path")):
        raise InvalidInput(f"{what}: give either a table name or a path, not both or neither.")
    return Location(spec.get("table"), spec.get("path"), fmt)


def parse_sources(data: dict, registered_at: datetime | None = None) -> Sources:
    """Sources from a sources file's content, or InvalidInput saying what to fix."""
    tables = {}
    for name, spec in (data.get("tables") or {}).items():
        if name not in TABLES:
            raise InvalidInput(f"tables: {name!r} is not a fact table ({', '.join(TABLES)}).")
        tables[name] = _location(spec, f"tables.{name}")
    datasets = []
    for i, spec in enumerate(data.get("datasets") or []):
        what = f"datasets[{i}]"
        if spec.get("kind") not in FACTS:
            raise InvalidInput(f"{what}: kind must be one of {', '.join(FACTS)}.")
        if not spec.get("name"):
            raise InvalidInput(f"{what}: give the dataset a name (what metrics refer to).")
        datasets.append(
            Source(
                name=str(spec["name"]),
                kind=spec["kind"],
                location=_location(spec, what),
                columns=dict(spec.get("columns") or {}),
                metrics=tuple(spec.get("metrics") or ()),
                segments=tuple(spec.get("segments") or ()),
                features=tuple(spec.get("features") or ()),
                values=dict(spec.get("values") or {}),
            )
        )
    return Sources(tables, tuple(datasets), registered_at or Sources.registered_at)


def read_sources(path: Path) -> Sources:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"Cannot read the Spark sources file {path}: {exc}. Point IMPACT_SPARK_SOURCES "
            "to a JSON file with 'tables' and/or 'datasets' (see the README)."
        ) from exc
    changed = datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)
    return parse_sources(data, changed)
