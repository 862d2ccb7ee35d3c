"""Results of reads, kept beside the version file they were read from.

A published version file is never written again (impact.warehouse.versions), so the
result of a read on it depends only on the statement and its parameters: it can be kept
and served to any later process. Readouts, readiness and health reduce millions of rows to
a few hundred, so a page opened in a fresh process (a new server, a CLI call, the report)
costs what reading those few hundred rows costs, not the scans. The results of version
`000042.duckdb` live in `000042.duckdb.results/`, removed with the version.

Only small results are kept (MAX_CELLS, MAX_BYTES: raw rows for a browser are not
summaries), and a result that cannot be written (disk full, a removed version) is simply
not kept. The files are pickles
written by this process family into the warehouse's own folder: whoever can write there can
already replace the warehouse itself. IMPACT_RESULT_CACHE=0 turns it off (the benchmarks
use it to time the scans a first view after an upload pays).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

MAX_CELLS = 1_000_000  # rows × columns of the largest table kept
MAX_BYTES = 32 * 2**20  # of any result kept (a panel's per-cluster scores can be big)
SUFFIX = ".results"
SWITCH = "IMPACT_RESULT_CACHE"
MISSING = object()  # what get() returns when nothing is kept


def enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() not in {"0", "false", "no", "off"}


def folder(version: Path) -> Path:
    return version.with_name(version.name + SUFFIX)


def _key(how: str, sql: str, params: Any) -> str:
    return hashlib.sha256(repr((how, sql, params)).encode()).hexdigest()


def get(version: Path, how: str, sql: str, params: Any) -> Any:
    """The kept result, or `MISSING`."""
    try:
        with open(folder(version) / _key(how, sql, params), "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        return MISSING


def put(version: Path, how: str, sql: str, params: Any, result: Any) -> None:
    """Keep a result of at most MAX_BYTES; written whole or not at all."""
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) > MAX_BYTES or not version.exists():
        return
    target = folder(version)
    tmp = None
    try:
        target.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".part-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target / _key(how, sql, params))
    except OSError:  # full or removed: the next read computes it again
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
