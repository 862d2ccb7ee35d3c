"""Ingest of a predictions file: Impact against pandas and against bare DuckDB (the floor).

The file: `rows` predictions shaped like the demo's churn model (the eleven contract
columns, one numeric and one text feature), written once by DuckDB as Parquet and as
CSV into bench/out/ingest/. Each side runs in a fresh subprocess per repetition
(`python -m bench.ingest SIDE ROWS`) and loads one file into a new database:

- impact-parquet, impact-csv: `ingest_file` into an empty warehouse, every rule checked;
- pandas-parquet, pandas-csv: `pandas.read_parquet` / `read_csv`, then
  `DataFrame.to_sql` into SQLite, chunked as an analyst would (no validation at all);
- duckdb-parquet, duckdb-csv: one `CREATE TABLE AS SELECT * FROM read_parquet/read_csv`
  into a DuckDB file and a checkpoint, the least any loader into DuckDB can do.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import OUT, alternate, medians_and_peaks, peak_bytes

FOLDER = OUT / "ingest"
TARGET_ROWS_PER_SECOND = 1_000_000
TARGET_PEAK_BYTES = 2_000_000_000
FORMATS = ("parquet", "csv")
SIDES = tuple(f"{who}-{fmt}" for fmt in FORMATS for who in ("impact", "pandas", "duckdb"))
LABELS = {
    "impact": "Impact ingest_file",
    "pandas": "pandas + to_sql",
    "duckdb": "bare DuckDB (floor)",
}

ROWS_SQL = """
SELECT 'p' || lpad(CAST(i AS VARCHAR), 10, '0') AS prediction_id,
  'churn-model' AS model,
  CASE WHEN i % 2 = 0 THEN 'v1' ELSE 'v2' END AS model_version,
  'c' || CAST(i % {units} AS VARCHAR) AS unit_id,
  TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i % 7776000) AS predicted_at,
  (hash(i) % 10000) / 10000.0 AS score,
  CAST(hash(i) % 2 AS DOUBLE) AS prediction,
  CASE WHEN i % 3 = 0 THEN NULL ELSE CAST(hash(i + 1) % 2 AS DOUBLE) END AS actual,
  CASE WHEN i % 3 = 0 THEN NULL
    ELSE TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i % 7776000 + 86400) END
    AS labeled_at,
  CAST(hash(i + 2) % 500 AS DOUBLE) AS latency_ms,
  i % 50 <> 0 AS served,
  CAST(hash(i + 3) % 120 AS DOUBLE) AS tenure_months,
  CASE hash(i + 4) % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'app' ELSE 'store' END AS channel
FROM range({rows}) t(i)
"""


def file_for(fmt: str, rows: int, folder: Path = FOLDER) -> Path:
    return folder / f"predictions-{rows}.{fmt}"


def ensure_files(rows: int, log=print, folder: Path = FOLDER) -> None:
    """Write both files unless they are there (a marker is written after each)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:
        path = file_for(fmt, rows, folder)
        marker = path.with_suffix(f".{fmt}.done")
        if marker.exists() and path.exists():
            continue
        start = time.perf_counter()
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        options = "FORMAT parquet" if fmt == "parquet" else "HEADER, DELIMITER ','"
        sql = ROWS_SQL.format(rows=int(rows), units=max(int(rows) // 5, 1))
        con.execute(f"COPY ({sql}) TO '{path}' ({options})")
        con.close()
        marker.write_text("done")
        size = path.stat().st_size / 1e9
        log(f"  wrote {path.name} ({size:.2f} GB) in {time.perf_counter() - start:.1f} s")


def run(side: str, rows: int, folder: Path = FOLDER) -> dict:
    who, fmt = side.split("-")
    path = file_for(fmt, rows, folder)
    work = Path(tempfile.mkdtemp(prefix=f"bench-ingest-{side}-", dir=folder))
    try:
        start = time.perf_counter()
        stored = {"impact": _impact, "pandas": _pandas, "duckdb": _duckdb}[who](path, work)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if stored != rows:
        raise RuntimeError(f"{side} stored {stored:,} rows, not {rows:,}")
    return {"seconds": seconds, "rows": stored}


def _impact(path: Path, work: Path) -> int:
    from impact.catalog import Catalog
    from impact.ingest import ingest_file
    from impact.store import Store
    from impact.warehouse import Warehouse

    store = Store(Warehouse(work / "impact.duckdb"), Catalog(f"sqlite:///{work}/c.sqlite"), "bench")
    result = ingest_file(
        store, path, "predictions", dataset="bench", upload_limit_mb=1e9, row_limit=10**9
    )
    if not result.report.ok:
        raise RuntimeError(f"Impact refused the benchmark file: {result.report}")
    return result.dataset.rows


def _pandas(path: Path, work: Path) -> int:
    import sqlite3

    import pandas as pd

    if path.suffix == ".csv":
        frame = pd.read_csv(path, parse_dates=["predicted_at", "labeled_at"])
    else:
        frame = pd.read_parquet(path)
    with sqlite3.connect(work / "pandas.sqlite") as con:
        frame.to_sql("predictions", con, index=False, chunksize=100_000)
        return con.execute("SELECT count(*) FROM predictions").fetchone()[0]


def _duckdb(path: Path, work: Path) -> int:
    import duckdb

    con = duckdb.connect(str(work / "floor.duckdb"))
    reader = "read_csv" if path.suffix == ".csv" else "read_parquet"
    con.execute(f"CREATE TABLE predictions AS SELECT * FROM {reader}('{path}')")
    con.execute("CHECKPOINT")
    rows = con.execute("SELECT count(*) FROM predictions").fetchone()[0]
    con.close()
    return rows


def benchmark(
    rows: int, repeat: int = 3, log=print, folder: Path = FOLDER, formats=FORMATS
) -> bool:
    """Alternate the sides `repeat` times per format; True when every target is met."""
    ensure_files(rows, log, folder)
    ok = True
    for fmt in formats:
        sides = [f"{who}-{fmt}" for who in LABELS]
        runs = alternate("bench.ingest", sides, repeat, log, args=[str(rows), str(folder)])
        median, peak = medians_and_peaks(runs)
        speed = {side: rows / median[side] for side in sides}
        size = file_for(fmt, rows, folder).stat().st_size / 1e9
        log(f"\nIngest of {rows:,} predictions from {fmt.upper()} ({size:.2f} GB), median:")
        for side in sides:
            log(
                f"  {LABELS[side.split('-')[0]]:<22} {median[side]:7.2f} s "
                f"{speed[side]:>12,.0f} rows/s   peak memory {peak[side] / 1e9:5.2f} GB"
            )
        impact = f"impact-{fmt}"
        checks = [
            (
                f"speed: {speed[impact]:,.0f} validated rows/s (target >= "
                f"{TARGET_ROWS_PER_SECOND:,})",
                speed[impact] >= TARGET_ROWS_PER_SECOND,
            ),
            (
                f"memory: peak {peak[impact] / 1e9:.2f} GB "
                f"(target < {TARGET_PEAK_BYTES / 1e9:g} GB)",
                peak[impact] < TARGET_PEAK_BYTES,
            ),
        ]
        log(
            f"  Impact takes {median[impact] / median[f'duckdb-{fmt}']:.1f}x the floor's time; "
            f"pandas {median[f'pandas-{fmt}'] / median[impact]:.1f}x Impact's"
        )
        for text, passed in checks:
            log(f"  {'PASS' if passed else 'FAIL'}  {text}")
        ok = ok and all(passed for _, passed in checks)
    return ok


if __name__ == "__main__":
    result = run(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
    result["peak"] = peak_bytes()
    print(json.dumps(result))
