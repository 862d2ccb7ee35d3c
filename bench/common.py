"""The benchmark's demo: 10M predictions, built once into bench/out/ and reused.

The build is `load_demo` with its parquet files kept (generate, register the catalog,
ingest every file), so the pandas side can start from the very files Impact ingested.
A marker written last records the sizes and row counts; a build without it is redone.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from impact.catalog import Catalog
from impact.demo import generate, sizes
from impact.demo import truth as T
from impact.demo.load import register_catalog
from impact.ingest import ingest_file
from impact.store import Store
from impact.warehouse import Warehouse

OUT = Path(__file__).resolve().parent / "out"
FILES = OUT / "demo"
WAREHOUSE = OUT / "impact.duckdb"
CATALOG = OUT / "catalog.sqlite"
MARKER = OUT / "built.json"

PREDICTIONS = 10_000_000
CUSTOMERS = 2_000_000
SEED = 7


def open_store() -> Store:
    return Store(Warehouse(WAREHOUSE), Catalog(f"sqlite:///{CATALOG}"), "bench")


def assignments_file() -> Path:
    return FILES / f"assignments-{T.EXPERIMENT}.parquet"


def outcomes_file() -> Path:
    return FILES / f"outcomes-{T.REVENUE_DATASET}.parquet"


def _expected() -> dict:
    return {"predictions": PREDICTIONS, "seed": SEED, **asdict(sizes(PREDICTIONS, CUSTOMERS))}


def _stored_counts(store: Store) -> dict[str, int]:
    return stored_counts(store.warehouse, ("predictions", "assignments", "outcomes"))


def is_built() -> bool:
    """The marker matches these sizes, and the warehouse still holds what it recorded."""
    if not MARKER.exists() or not WAREHOUSE.exists():
        return False
    marker = json.loads(MARKER.read_text())
    if marker.get("sizes") != _expected():
        return False
    if not all(p.exists() for p in (assignments_file(), outcomes_file())):
        return False
    return _stored_counts(open_store()) == marker["rows"]


def ensure_demo(log=print) -> float | None:
    """Build the demo unless a complete build is there; seconds taken, or None if reused."""
    if is_built():
        marker = json.loads(MARKER.read_text())
        log(f"Reusing the demo in {OUT} (built in {marker['seconds']:.1f} s); {rows_text(marker)}")
        return None
    for path in (FILES, WAREHOUSE, WAREHOUSE.with_suffix(".duckdb.wal"), CATALOG, MARKER):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    OUT.mkdir(parents=True, exist_ok=True)
    store = open_store()
    log(f"Building the demo ({PREDICTIONS:,} predictions, {CUSTOMERS:,} customers) in {OUT}")
    start = time.perf_counter()
    files = generate(FILES, predictions=PREDICTIONS, seed=SEED, customers=CUSTOMERS)
    generated = time.perf_counter() - start
    log(f"  generated parquet files in {generated:.1f} s")
    register_catalog(store)
    for file in files.files:  # as `ingest_demo` does, with a line per file
        began = time.perf_counter()
        # At 2M customers the generator draws some identical support tickets (same unit,
        # minute and value): separate events, which the duplicate-row check would refuse.
        repeats = file.kind == "outcomes"
        ingest_file(store, file.path, file.kind, dataset=file.dataset, allow_duplicate_rows=repeats)
        took = time.perf_counter() - began
        log(f"  ingested {file.kind} {file.dataset}: {file.rows:,} rows in {took:.1f} s")
    seconds = time.perf_counter() - start
    rows = _stored_counts(store)
    marker = {"sizes": _expected(), "rows": rows, "seconds": seconds, "generate": generated}
    MARKER.write_text(json.dumps(marker, indent=2))
    log(
        f"Built the demo in {seconds:.1f} s (generation {generated:.1f} s, "
        f"ingest {seconds - generated:.1f} s); {rows_text(marker)}"
    )
    return seconds


def rows_text(marker: dict) -> str:
    return "rows: " + ", ".join(f"{k} {v:,}" for k, v in marker["rows"].items())


def stored_counts(warehouse: Warehouse, tables: tuple[str, ...]) -> dict[str, int]:
    return {table: int(warehouse.scalar(f"SELECT count(*) FROM {table}")) for table in tables}


def medians_and_peaks(runs: dict[str, list[dict]]) -> tuple[dict, dict]:
    """Median seconds and largest peak memory per side."""
    median = {side: statistics.median(r["seconds"] for r in rs) for side, rs in runs.items()}
    peak = {side: max(r["peak"] for r in rs) for side, rs in runs.items()}
    return median, peak


def report(log, title: str, labels: dict, median: dict, peak: dict, lines, checks) -> bool:
    """Print the table, the extra lines and each target as PASS/FAIL; True if all pass."""
    log(title)
    for side, label in labels.items():
        log(f"  {label:<22} {median[side]:7.2f} s   peak memory {peak[side] / 1e9:5.2f} GB")
    for line in lines:
        log(f"  {line}")
    for text, ok in checks:
        log(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for _, ok in checks)


def peak_bytes() -> int:
    """This process's peak resident set size (VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("No VmHWM in /proc/self/status (this benchmark needs Linux).")


def run_side(module: str, side: str, args: list[str] | None = None) -> dict:
    """One repetition of `side` of `module` in a fresh interpreter; its JSON result."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", module, side, *(args or [])],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"The {side} side failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def alternate(
    module: str, sides, repeat: int, log=print, args: list[str] | None = None
) -> dict[str, list[dict]]:
    """Run the sides `repeat` times, alternating which goes first; log each run."""
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for i in range(repeat):
        order = list(sides) if i % 2 == 0 else list(reversed(list(sides)))
        for side in order:
            run = run_side(module, side, args)
            runs[side].append(run)
            log(
                f"  run {i + 1} {side:<14} {run['seconds']:6.2f} s, peak {run['peak'] / 1e9:.2f} GB"
            )
    return runs
