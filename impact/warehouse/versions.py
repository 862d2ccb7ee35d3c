"""Copy-on-write versions of the warehouse file, so that readers never wait for a writer.

DuckDB lets one process at a time open a file for writing, and a writing process shuts
every other process out, readers included, for as long as it holds the file: a 30M-row
upload kept the app's pages waiting 53 s. So no published file is ever written again:

- The warehouse path (e.g. data/impact.duckdb) is a symbolic link to the current version,
  `impact.duckdb.versions/000042.duckdb`. Readers resolve the link and open that file
  read-only, which any number of processes may do at once, and never take a write lock.
- A writer takes the warehouse's write lock (`impact.duckdb.lock`, flock, plus a thread
  lock within the process), copies the current version to the next number, writes and
  checkpoints the copy, then publishes it by replacing the link, one atomic rename.
  Readers that opened the old version finish on it; the old file is then removed (an open
  file stays readable on POSIX systems until it is closed).
- A writer that fails or is killed leaves an unpublished version; the next writer removes
  every version but the current one.
- A warehouse made by an older Impact (a plain file at the path) is read in place and
  becomes version 1 at its first write.

Tools such as the DuckDB CLI still open data/impact.duckdb: they follow the link.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from impact.errors import WarehouseBusy

_thread_locks: dict[str, threading.Lock] = {}
_registry_lock = threading.Lock()
_VERSION = re.compile(r"^(\d{6})\.duckdb$")


def versions_dir(path: Path) -> Path:
    return path.with_name(path.name + ".versions")


def current_file(path: Path) -> Path | None:
    """The file readers open now: the link's target, a legacy plain file, or None."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path if path.exists() else None


def next_file(path: Path) -> Path:
    """The next version's file name (under the write lock)."""
    folder = versions_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for f in folder.iterdir() if (m := _VERSION.match(f.name))]
    return folder / f"{max(numbers, default=0) + 1:06d}.duckdb"


def publish(path: Path, version: Path) -> None:
    """Point the warehouse path at `version` in one atomic step, then drop older versions."""
    link = path.with_name(f".{path.name}.link-{os.getpid()}-{threading.get_ident()}")
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(version, path.parent))
    os.replace(link, path)
    remove_unpublished(path)


def remove_unpublished(path: Path) -> None:
    """Remove every version but the current one, with their logs and kept results
    (impact.warehouse.results; under the write lock)."""
    folder = versions_dir(path)
    if not folder.exists():
        return
    keep = current_file(path)
    for f in folder.iterdir():
        if keep is not None and f.name.startswith(keep.name):
            continue
        if f.is_dir():
            shutil.rmtree(f, ignore_errors=True)
        else:
            f.unlink(missing_ok=True)
    for stale in path.parent.glob(f".{path.name}.link-*"):
        stale.unlink(missing_ok=True)


def discard(version: Path) -> None:
    for f in (version, version.with_name(version.name + ".wal")):
        f.unlink(missing_ok=True)


@contextmanager
def write_lock(path: Path, timeout: float) -> Iterator[None]:
    """One writer at a time, across threads and processes; waits up to `timeout` seconds."""
    key = str(path.resolve().parent / path.name)
    with _registry_lock:
        thread_lock = _thread_locks.setdefault(key, threading.Lock())
    if not thread_lock.acquire(timeout=max(timeout, 0.001)):
        raise _busy(path, timeout)
    try:
        lock_file = path.with_name(path.name + ".lock")
        with open(lock_file, "a+") as handle:
            _flock(handle, path, timeout)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        thread_lock.release()


def _flock(handle, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise _busy(path, timeout) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _busy(path: Path, timeout: float) -> WarehouseBusy:
    return WarehouseBusy(
        f"Another upload or change is being written to the warehouse {path} and has taken "
        f"over {timeout:.0f} s. Try again when it finishes; pages and readouts keep working "
        "meanwhile."
    )
