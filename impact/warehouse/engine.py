"""DuckDB access: one class for the warehouse file, one for a private staging database.

Who holds the file: the app and the CLI run at once, so no process keeps the warehouse
open for writing. Every unit of work opens it, runs, and closes it. Readers open the current
version read-only and never wait for a writer; a process keeps one more read-only connection
to each current version file it has read (`_readers`), so the DuckDB instance, and its
buffer cache, outlives each unit of work: a 10M-row scan costs its I/O once per version
instead of once per query; a writer copies it, writes the copy and publishes
it in one atomic step (impact.warehouse.versions), one writer at a time, each waiting up
to `busy_timeout` seconds for the one before. Within a process every connection uses the
same configuration, so threads share one DuckDB instance per version. Uploads are parsed
and checked in a staging database first and attached read-only to the writer's copy.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from impact.errors import StorageFull, WarehouseUnavailable
from impact.scratch import scratch_dir
from impact.sql import quote_identifier
from impact.warehouse import results, versions
from impact.warehouse.schema import TABLES

Params = Sequence[Any] | dict[str, Any] | None

# A CSV line (so a cell) may hold up to 64 MB; DuckDB's default of 2 MB refuses real
# exports with long text cells.
MAX_LINE_BYTES = 64 * 2**20

# DuckDB's memory for an upload (staging, then the write), spilling to disk beyond it;
# its default, 80% of the machine, let a 30M-row file take 8.6 GB.
INGEST_MEMORY = "1GB"
ROW_NUMBER = "file_row_number"  # the column read_parquet adds for a row's position

_schema_ready: set[str] = set()  # version files known to hold every table
_KEPT_READERS = 4  # warehouses per process whose current version stays open
_OPEN_ATTEMPTS = 20  # a version removed between resolving the link and opening it


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


class ReadSession(Transaction):
    """Statements on one published version, read-only: results of reads are kept beside
    that version (impact.warehouse.results) until the session creates anything (a
    temporary table changes what later reads return), from then on none is.

    The version is opened only when a statement needs it: a session whose every read was
    kept opens nothing. Should a writer publish meanwhile, the first statement that needs
    the file reads the newer version, as a new session would."""

    def __init__(self, version: Path | None, opener: Callable[[], Any]):
        super().__init__(None)  # type: ignore[arg-type]
        self.version = version if results.enabled() else None  # where results are kept
        self._version = self.version  # None once the session has created something
        self._opener = opener  # the context manager yielding (connection, version)
        self._opened: Any = None

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:  # type: ignore[override]
        if self._opened is None:
            self._opened = self._opener()
            con, opened = self._opened.__enter__()
            self._connection = con
            if self.version is not None and opened != self.version:  # published meanwhile
                self.version = opened
                self._version = opened if self._version is not None else None
        return self._connection

    @_con.setter
    def _con(self, value) -> None:
        self._connection = value

    def close(self) -> None:
        if self._opened is not None:
            self._opened.__exit__(None, None, None)
            self._opened = None

    def execute(self, sql: str, params: Params = None) -> Result:
        return self._kept("execute", sql, params)

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self._kept("frame", sql, params)

    def _kept(self, how: str, sql: str, params: Params) -> Any:
        run = getattr(super(), how)
        if self._version is None:
            return run(sql, params)
        if not sql.lstrip().upper().startswith(_READS):
            self._version = None
            return run(sql, params)
        kept = results.get(self._version, how, sql, params)
        if kept is not results.MISSING:
            return kept
        out = run(sql, params)
        if self._version is None:
            return out
        cells = len(out.rows) * max(len(out.columns), 1) if how == "execute" else out.size
        if cells <= results.MAX_CELLS:
            results.put(self._version, how, sql, params, out)
        return out


_READS = ("SELECT", "WITH", "FROM", "(")


class Warehouse:
    """The facts database. Cheap to construct; opens the file only while working."""

    def __init__(self, path: Path | str, busy_timeout: float = 30.0):
        self.path = Path(path)
        self.busy_timeout = busy_timeout

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the current version (created if there is none)."""
        with self._connect_version() as (con, _):
            yield con

    @contextmanager
    def _connect_version(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
        """The connection and the version file it opened."""
        con, version = self._open_current()
        try:
            _configure(con)
            yield con, version
        finally:
            con.close()

    def _open_current(self) -> tuple[duckdb.DuckDBPyConnection, Path]:
        for _ in range(_OPEN_ATTEMPTS):
            current = versions.current_file(self.path)
            legacy_log = current == self.path and _wal(current).exists()
            if current is None or legacy_log or str(current) not in _schema_ready:
                if current is None or legacy_log or not self._has_schema(current):
                    with self.transaction():  # creates the file, replays a log, adds tables
                        pass
                    continue
                _schema_ready.add(str(current))
            try:
                if current != self.path:  # a published version: never written again
                    _readers.keep(self.path.absolute(), current)
                return duckdb.connect(str(current), read_only=True), current
            except duckdb.IOException as exc:
                if current.exists():  # not the race with a publishing writer
                    raise WarehouseUnavailable(
                        f"Cannot open the warehouse {self.path}: {exc}"
                    ) from exc
        raise WarehouseUnavailable(
            f"The warehouse {self.path} changed {_OPEN_ATTEMPTS} times while being opened; "
            "try again."
        )

    @staticmethod
    def _has_schema(file: Path) -> bool:
        try:
            con = duckdb.connect(str(file), read_only=True)
        except duckdb.IOException:
            return False  # removed meanwhile: the caller resolves the link again
        try:
            names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        finally:
            con.close()
        return set(TABLES) <= names

    def execute(self, sql: str, params: Params = None) -> Result:
        return self._read("execute", sql, params)

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self._read("frame", sql, params)

    def _read(self, how: str, sql: str, params: Params) -> Any:
        """One statement on the current version; a result kept from an earlier read of that
        version is returned without opening it (the session opens the file lazily)."""
        with self.session() as s:
            return getattr(s, how)(sql, params)

    def scalar(self, sql: str, params: Params = None) -> Any:
        return self.execute(sql, params).scalar()

    @contextmanager
    def session(self) -> Iterator[ReadSession]:
        """One read-only connection to one version for several statements (temporary
        tables live until it closes). A legacy plain file is written again by the next
        writer, so nothing read from it is kept."""
        current = versions.current_file(self.path)
        if current is None or current == self.path or not results.enabled():
            with self._connect_version() as (con, version):
                yield ReadSession(None, lambda: nullcontext((con, version)))
            return
        session = ReadSession(current, self._connect_version)
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def transaction(self, attach: dict[str, Path] | None = None) -> Iterator[Transaction]:
        try:
            with self._transaction(attach) as tx:
                yield tx
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            raise StorageFull(
                f"The disk holding the warehouse ({self.path.parent}) is full, so nothing was "
                f"stored ({_free(self.path.parent)} free; a change needs room for a copy of "
                "the warehouse). Free some space there, or move the warehouse "
                "(IMPACT_WAREHOUSE or IMPACT_DATA_DIR) to a larger disk, and try again."
            ) from exc

    @contextmanager
    def _transaction(self, attach: dict[str, Path] | None = None) -> Iterator[Transaction]:
        """All statements inside commit together or not at all, on a copy of the current
        version that is published only after it is complete (impact.warehouse.versions).

        `attach` maps an alias to a database file attached read-only for the transaction.
        Attached databases belong to the process's DuckDB instance, not to the connection,
        so each is detached whatever happened."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with versions.write_lock(self.path, self.busy_timeout):
            versions.remove_unpublished(self.path)
            current = versions.current_file(self.path)
            target = versions.next_file(self.path)
            try:
                if current is not None:
                    if current == self.path:  # a plain file from an older Impact
                        _checkpoint(current)
                    shutil.copyfile(current, target)
                yield from _write(target, attach or {})
            except BaseException:
                versions.discard(target)
                raise
            versions.publish(self.path, target)
            _schema_ready.add(str(target))
            _readers.drop(self.path.absolute())  # the next read keeps the new version open

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


class _Readers:
    """One read-only connection kept open per warehouse, to its current version file.

    DuckDB shares one database instance among a process's connections to the same file and
    configuration, and frees it, buffer cache included, when the last one closes; this
    connection is that last one. Units of work still open and close their own connections
    (not cursors of this one: closing a connection closes its cursors, which would break a
    thread still reading the old version). A newer version replaces it; only published
    versions are kept (a legacy plain file is checkpointed in place by the next writer)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict[Path, tuple[Path, duckdb.DuckDBPyConnection]] = OrderedDict()

    def keep(self, warehouse: Path, version: Path) -> None:
        with self._lock:
            kept = self._open.get(warehouse)
            if kept is not None and kept[0] == version:
                self._open.move_to_end(warehouse)
                return
        con = duckdb.connect(str(version), read_only=True)  # IOException: caller retries
        _configure(con)
        stale = []
        with self._lock:
            kept = self._open.pop(warehouse, None)
            if kept is not None:
                stale.append(kept[1])
            self._open[warehouse] = (version, con)
            while len(self._open) > _KEPT_READERS:
                stale.append(self._open.popitem(last=False)[1][1])
        for old in stale:
            old.close()

    def drop(self, warehouse: Path) -> None:
        with self._lock:
            kept = self._open.pop(warehouse, None)
        if kept is not None:
            kept[1].close()


_readers = _Readers()


class Staging(_Session):
    """A throw-away DuckDB file where one upload is parsed and checked.

    An uploaded file's rows are not copied into it: `source` is a view over the Parquet
    file (a CSV is first rewritten as Parquet in the staging folder, in file order), so
    each rule reads only the columns it needs and memory stays bounded by INGEST_MEMORY
    whatever the file's size."""

    def __init__(self) -> None:
        self._dir = scratch_dir("staging")  # named for this process: see impact.scratch
        self.path = Path(self._dir.name) / "staging.duckdb"
        super().__init__(duckdb.connect(str(self.path)))
        _configure(self._con)
        bound_memory(self._con)
        self._files: dict[str, Path] = {}  # view -> the Parquet file it reads
        self._numbered: dict[str, tuple[str, int, dict[str, str]]] = {}  # number_rows' views

    def read_csv(self, table: str, file: Path, delimiter: str | None = None) -> None:
        """Every column as text: types are checked by our rules, row by row."""
        options, params = _csv_options(file, delimiter)
        copy = Path(self._dir.name) / f"{table}.parquet"
        self._con.execute(
            f"COPY (SELECT * FROM read_csv(?, {options})) TO '{_literal_path(copy)}' "
            "(FORMAT parquet)",
            params,
        )
        self.read_parquet(table, copy)

    def count_csv(self, file: Path, delimiter: str | None, at_most: int) -> int:
        """The CSV's rows, read as read_csv would but kept nowhere, counting up to `at_most`
        (a stream: memory stays small and the reading stops there)."""
        options, params = _csv_options(file, delimiter)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM read_csv(?, {options}) LIMIT {int(at_most)})"
        return self._con.execute(sql, params).fetchone()[0]

    def read_parquet(self, table: str, file: Path) -> None:
        """A view over the file; a file with its own column `file_row_number` (the name
        DuckDB gives row positions) is copied into a table instead."""
        path = _literal_path(Path(file).resolve())
        names = [
            r[0] for r in self._con.execute(f"DESCRIBE FROM read_parquet('{path}')").fetchall()
        ]
        if any(n.lower() == ROW_NUMBER for n in names):
            self._con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{path}')")
            return
        self._con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
        self._files[table] = Path(file).resolve()

    def number_rows(self, view: str, source: str, offset: int, columns: dict[str, str]) -> None:
        """(Re)create `view`: `_line` (the row's position in the file plus `offset`) and
        `columns` of `source` (output name -> source column) in file order."""
        file = self._files.get(source)
        if file is None:  # a table: its rowid is the order rows were inserted in
            columns = self._rowid_aside(source, columns)
            origin, position = source, "rowid"
        else:
            origin = f"read_parquet('{_literal_path(file)}', {ROW_NUMBER} = true)"
            position = ROW_NUMBER
        select = ", ".join(
            f"{quote_identifier(c)} AS {quote_identifier(n)}" for n, c in columns.items()
        )
        self._con.execute(
            f"CREATE OR REPLACE VIEW {view} AS SELECT {position} + {int(offset)} AS _line"
            f"{', ' if select else ''}{select} FROM {origin}"
        )
        self._numbered[view] = (source, offset, dict(columns))

    def _rowid_aside(self, table: str, columns: dict[str, str]) -> dict[str, str]:
        """A column the file calls `rowid` would hide the table's row number: rename it
        in the table and read it under its own name."""
        moved = dict(columns)
        for i, (name, column) in enumerate(columns.items()):
            if column.lower() == "rowid":
                aside = f"__impact_rowid_{i}"
                self._con.execute(
                    f"ALTER TABLE {table} RENAME COLUMN {quote_identifier(column)} "
                    f"TO {quote_identifier(aside)}"
                )
                moved[name] = aside
        return moved

    def drop_columns(self, view: str, names: list[str]) -> None:
        """Leave `names` out of a view made by number_rows."""
        source, offset, columns = self._numbered[view]
        kept = {n: c for n, c in columns.items() if n not in names}
        self.number_rows(view, source, offset, kept)

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


def _write(target: Path, attach: dict[str, Path]) -> Iterator[Transaction]:
    """Open the new version, make sure every table exists, run the caller's statements in
    one transaction and checkpoint, so the published file needs no log."""
    con = duckdb.connect(str(target))
    attached = []
    try:
        _configure(con)
        bound_memory(con)
        for ddl in TABLES.values():
            con.execute(ddl)
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
        for alias in attached:
            con.execute(f"DETACH {alias}")
        attached = []
        con.execute("CHECKPOINT")
    finally:
        for alias in attached:
            with suppress(duckdb.Error):
                con.execute(f"DETACH {alias}")
        con.close()


def _checkpoint(file: Path) -> None:
    """Fold a legacy file's write-ahead log into it before it is copied."""
    con = duckdb.connect(str(file))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _wal(file: Path) -> Path:
    return file.with_name(file.name + ".wal")


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


def bound_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Hold DuckDB to INGEST_MEMORY; joins, sorts and windows beyond it spill to the
    database's temporary folder next to its file."""
    con.execute(f"SET memory_limit = '{INGEST_MEMORY}'")


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
