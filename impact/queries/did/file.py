"""A rollout panel from a file of unit-period rows, built in a staging database.

Time values are compared as numbers when every value is one, else as timestamps when
every value is one, else as text. An empty adoption value means never treated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from impact.errors import InvalidInput
from impact.sql import quote_identifier
from impact.warehouse import Staging


def _time_type(staging: Staging, column: str) -> str:
    for sql_type in ("DOUBLE", "TIMESTAMP"):
        bad = staging.scalar(
            f"SELECT count(*) FROM raw WHERE {column} IS NOT NULL AND trim(CAST({column} AS "
            f"VARCHAR)) <> '' AND TRY_CAST({column} AS {sql_type}) IS NULL"
        )
        if not bad:
            return sql_type
    return "VARCHAR"


@dataclass(frozen=True)
class PanelFile:
    """A file of unit-period rows and which of its columns mean what."""

    path: Path
    unit: str
    time: str
    outcome: str
    treated_at: str | None = None  # the unit's adoption period (empty: never treated)
    treat: str | None = None  # or the treatment, 0/1 per row

    @property
    def name(self) -> str:
        return self.path.name


def create_tables(staging: Staging, source: PanelFile, cluster: str | None = None) -> None:
    """Tables `panel` (unit_id, period, y, d; y the mean of the outcome per cell) and
    `panel_units` (unit_id, adopted, cluster): cluster is column `cluster` or the unit."""
    from impact.ingest.read import read_into

    path, treated_at, treat = source.path, source.treated_at, source.treat
    if (treated_at is None) == (treat is None):
        raise InvalidInput("Give exactly one of --treated-at COLUMN or --treat COLUMN.")
    read_into(staging, path)
    known = [c for c, _ in staging.columns("raw") if c != "_line"]
    u, t, y = (quote_identifier(c, known) for c in (source.unit, source.time, source.outcome))
    kind = _time_type(staging, t)
    period = f"TRY_CAST({t} AS {kind})"
    if treated_at is not None:
        a = quote_identifier(treated_at, known)
        adopted = f"TRY_CAST(nullif(trim(CAST({a} AS VARCHAR)), '') AS {kind})"
        d = f"max(CASE WHEN {adopted} IS NOT NULL AND {period} >= {adopted} THEN 1.0 ELSE 0.0 END)"
    else:
        # 0/1 or true/false: DuckDB reads both as BOOLEAN.
        d = f"max(CAST(CAST({quote_identifier(treat, known)} AS BOOLEAN) AS DOUBLE))"
        adopted = f"CAST(NULL AS {kind})"  # only the 0/1 per row is known
    if cluster is None:
        k = f"CAST({u} AS VARCHAR)"
    else:
        k = f"nullif(trim(CAST({quote_identifier(cluster, known)} AS VARCHAR)), '')"
    rows = f"FROM raw WHERE {u} IS NOT NULL AND {period} IS NOT NULL"
    try:
        staging.execute(f"""CREATE TABLE panel AS
            SELECT CAST({u} AS VARCHAR) AS unit_id, {period} AS period,
                   avg(CAST(replace(CAST({y} AS VARCHAR), ',', '') AS DOUBLE)) AS y, {d} AS d
            {rows} GROUP BY 1, 2""")
        # Grouped by the cluster too: a unit split across clusters shows up as such.
        staging.execute(f"""CREATE TABLE panel_units AS
            SELECT CAST({u} AS VARCHAR) AS unit_id, min({adopted}) AS adopted, {k} AS cluster
            {rows} GROUP BY 1, 3""")
    except Exception as exc:
        raise InvalidInput(
            f"{path.name}: the outcome must hold numbers and the treatment 0/1 "
            f"({str(exc).splitlines()[0]})."
        ) from exc
    if not staging.scalar("SELECT count(*) FROM panel"):
        raise InvalidInput(f"{path.name} has no rows with a unit and a time value.")
