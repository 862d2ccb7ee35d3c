"""DuckDB access: one class for the warehouse file, one for a private staging database.

Who holds the file: DuckDB lets one process at a time open a database file. The app and the
CLI run at once, so no process keeps the file open. Every unit of work opens it, runs, and
closes it; a process that finds the file locked retries with back-off for `busy_timeout`
seconds before raising WarehouseBusy. Within a process every connection uses the same
configuration, so threads share one DuckDB instance and each gets its own connection.
Uploads are parsed and checked in a staging database first, so the warehouse is held only
for the final insert, inside one transaction.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from impact.errors import ImpactError, StorageFull, WarehouseBusy
from impact.scratch import scratch_dir
from impact.warehouse.schema import TABLES

Params = Sequence[Any] | dict[str, Any] | None

# A CSV line (so a cell) may hold up to 64 MB; DuckDB's default of 2 MB refuses real
# exports with long text cells.
MAX_LINE_BYTES = 64 * 2**20

HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers

_schema_ready: set[str] = set()
_schema_lock = threading.Lock()


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def df(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


class _Session:
    """Runs statements on one open connection (shared by Transaction and Staging)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def execute(self, sql: str, params: Params = None) -> Result:
        cur = self._con.execute(sql, params or [])
        if cur.description is None:
            return Result([], [])
        return Result([d[0] for d in cur.description], cur.fetchall())

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self._con.execute(sql, params or []).df()

    def scalar(self, sql: str, params: Params = None) -> Any:
        return self.execute(sql, params).scalar()


class Transaction(_Session):
    """Statements of one unit of work on the warehouse (see Warehouse.transaction)."""


class Warehouse:
    """The facts database. Cheap to construct; opens the file only while working."""

    def __init__(self, path: Path | str, busy_timeout: float = 30.0):
        self.path = Path(path)
        self.busy_timeout = busy_timeout

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._open_with_retry()
        try:
            _configure(con)
            self._ensure_schema(con)
            yield con
        finally:
            con.close()

    def _open_with_retry(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise ImpactError(f"Cannot open the warehouse {self.path}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"The warehouse {self.path} is in use by another process "
                        f"(probably an ingest) for over {self.busy_timeout:.0f} s. "
                        "Try again when it finishes."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        key = str(self.path.resolve())
        if key in _schema_ready:
            return
        with _schema_lock:
            for ddl in TABLES.values():
                con.execute(ddl)
            _schema_ready.add(key)

    def execute(self, sql: str, params: Params = None) -> Result:
        with self._connect() as con:
            return _Session(con).execute(sql, params)

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        with self._connect() as con:
            return _Session(con).frame(sql, params)

    def scalar(self, sql: str, params: Params = None) -> Any:
        return self.execute(sql, params).scalar()

    @contextmanager
    def session(self) -> Iterator[Transaction]:
        """One connection for several statements (temporary tables live until it closes)."""
        with self._connect() as con:
            yield Transaction(con)

    @contextmanager
    def transaction(self, attach: dict[str, Path] | None = None) -> Iterator[Transaction]:
        try:
            with self._transaction(attach) as tx:
                yield tx
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self._reclaim()
            raise StorageFull(
                f"The disk holding the warehouse ({self.path.parent}) is full, so nothing was "
                f"stored ({_free(self.path.parent)} free). Free some space there, or move the "
                "warehouse (IMPACT_WAREHOUSE or IMPACT_DATA_DIR) to a larger disk, and try "
                "again."
            ) from exc

    def _reclaim(self) -> None:
        """A write that ran out of space leaves the file as large as it grew, and DuckDB
        does not shrink it, so every later write fails too. Cut the file back to the blocks
        DuckDB accounts for; only when no write-ahead log is pending."""
        wal = self.path.with_name(self.path.name + ".wal")
        if wal.exists() and wal.stat().st_size > 0:
            return
        try:
            con = duckdb.connect(str(self.path))
            try:
                block, blocks = con.execute(
                    "SELECT block_size, total_blocks FROM pragma_database_size()"
                ).fetchone()
            finally:
                con.close()
            size = HEADER_BYTES + block * blocks
            if blocks and self.path.stat().st_size > size:
                os.truncate(self.path, size)
        except (duckdb.Error, OSError):
            pass  # only space is at stake; the data are intact either way

    @contextmanager
    def _transaction(self, attach: dict[str, Path] | None = None) -> Iterator[Transaction]:
        """All statements inside commit together or not at all.

        `attach` maps an alias to a database file attached read-only for the transaction.
        Attached databases belong to the process's DuckDB instance, not to the connection,
        so each is detached after the commit or rollback, whatever happened."""
        attach = attach or {}
        with self._connect() as con:
            attached = []
            try:
                for alias, path in attach.items():
                    con.execute(f"ATTACH '{_literal_path(path)}' AS {alias} (READ_ONLY)")
                    attached.append(alias)
                con.execute("BEGIN TRANSACTION")
                try:
                    yield Transaction(con)
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                for alias in attached:
                    con.execute(f"DETACH {alias}")

    def table_checksums(self) -> dict[str, str]:
        """Order-independent fingerprint of every table, to prove nothing changed."""
        sums = {}
        with self._connect() as con:
            for table in TABLES:
                row = con.execute(
                    f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} AS t"
                ).fetchone()
                sums[table] = f"{row[0]}:{row[1]}"
        return sums


class Staging(_Session):
    """A throw-away DuckDB file where one upload is parsed and checked."""

    def __init__(self) -> None:
        self._dir = scratch_dir("staging")  # named for this process: see impact.scratch
        self.path = Path(self._dir.name) / "staging.duckdb"
        super().__init__(duckdb.connect(str(self.path)))
        _configure(self._con)

    def read_csv(self, table: str, file: Path, delimiter: str | None = None) -> None:
        """Every column as text: types are checked by our rules, row by row."""
        options, params = _csv_options(file, delimiter)
        self._con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, {options})", params)

    def count_csv(self, file: Path, delimiter: str | None, at_most: int) -> int:
        """The CSV's rows, read as read_csv would but kept nowhere, counting up to `at_most`
        (a stream: memory stays small and the reading stops there)."""
        options, params = _csv_options(file, delimiter)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM read_csv(?, {options}) LIMIT {int(at_most)})"
        return self._con.execute(sql, params).fetchone()[0]

    def read_parquet(self, table: str, file: Path) -> None:
        self._con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)", [str(file)])

    def load_frame(self, table: str, frame: pd.DataFrame) -> None:
        self._con.register("_frame", frame)
        try:
            self._con.execute(f"CREATE TABLE {table} AS SELECT * FROM _frame")
        finally:
            self._con.unregister("_frame")

    def columns(self, table: str) -> list[tuple[str, str]]:
        rows = self._con.execute(f"DESCRIBE {table}").fetchall()
        return [(r[0], r[1]) for r in rows]

    def close(self) -> None:
        """Close the connection but keep the file, so the warehouse can attach it."""
        self._con.close()

    def cleanup(self) -> None:
        self._dir.cleanup()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._con.close()
        finally:
            self.cleanup()


def _csv_options(file: Path, delimiter: str | None) -> tuple[str, list[Any]]:
    options = (
        f"header = true, all_varchar = true, auto_detect = true, max_line_size = {MAX_LINE_BYTES}"
    )
    params: list[Any] = [str(file)]
    if delimiter:  # the caller decided the dialect: no lines skipped, RFC 4180 quotes
        options += ", delim = ?, quote = '\"', escape = '\"', skip = 0"
        params.append(delimiter)
    return options, params


def _configure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")  # naive timestamps in files are read as UTC
    con.execute("SET enable_progress_bar = false")  # we report progress ourselves


def _literal_path(path: Path) -> str:
    return str(path).replace("'", "''")


def is_disk_full(exc: BaseException) -> bool:
    """The error (or one it came from) is a disk without space."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(exc) or "not enough space" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def temp_full_message(exc: BaseException) -> str:
    folder = tempfile.gettempdir()
    return (
        f"The temporary folder {folder} is full ({_free(Path(folder))} free), so the file "
        "could not be checked; nothing was stored. Free space there, or point TMPDIR to a "
        "folder on a larger disk, and try again."
    )


def _free(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 2**20:,.1f} MB"
    except OSError:
        return "unknown space"
