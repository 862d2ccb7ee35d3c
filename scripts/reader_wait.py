"""Load test: readers (in-process readouts and CLI commands) while a large predictions
upload runs in another process. Reports the upload's time, every reader's latency (the
longest is the wait a user would feel), errors and tracebacks (issue 14, item 10).
Usage: python scripts/reader_wait.py [rows]   (default 30,000,000)"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from impact.analysis.ab import experiment_readout
from impact.analysis.health import model_health
from impact.catalog import Catalog
from impact.demo import load_demo
from impact.demo import truth as T
from impact.store import Store
from impact.warehouse import Warehouse

IMPACT = str(Path(sys.executable).parent / "impact")


def predictions_file(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    chunk = 5_000_000
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        ids = np.arange(start, start + n)
        table = pa.table(
            {
                "prediction_id": pa.array([f"load-{i}" for i in ids]),
                "model": pa.array(["load-model"] * n),
                "model_version": pa.array(["v1"] * n),
                "unit_id": pa.array([f"u{i % 2_000_000}" for i in ids]),
                "predicted_at": pa.array(
                    np.datetime64("2026-06-01") + (ids % (86400 * 90)).astype("timedelta64[s]"),
                    pa.timestamp("s", tz="UTC"),
                ),
                "score": pa.array(np.round(rng.random(n), 6)),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def main(rows: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="impact-load-"))
    store = Store(Warehouse(root / "impact.duckdb"), Catalog(f"sqlite:///{root}/catalog.sqlite"))
    load_demo(store)
    file = root / "big.parquet"
    predictions_file(file, rows)
    print(f"{rows:,} predictions in {file.stat().st_size / 2**20:,.0f} MB")
    env = {**os.environ, "IMPACT_DATA_DIR": str(root)}
    waits: dict[str, list[float]] = {"readout": [], "health": [], "cli": []}
    errors: list[str] = []
    done = threading.Event()

    def reader(name, work):
        while not done.is_set():
            started = time.monotonic()
            try:
                work()
            except Exception as exc:  # counted and reported, the point of the test
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
            waits[name].append(time.monotonic() - started)
            time.sleep(0.2)

    def readout():
        experiment_readout(store, T.EXPERIMENT)

    def health():
        model_health(store, T.FRAUD_MODEL, "week")

    def cli():
        out = subprocess.run(
            [IMPACT, "ab", T.EXPERIMENT, "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0 or "Traceback" in out.stderr:
            raise RuntimeError(out.stderr.strip()[-300:])

    for name, work in (("readout", readout), ("health", health), ("cli", cli)):
        started = time.monotonic()
        work()
        print(f"{name:<8} alone: {time.monotonic() - started:.2f} s")
    threads = [
        threading.Thread(target=reader, args=("readout", readout)),
        threading.Thread(target=reader, args=("health", health)),
        threading.Thread(target=reader, args=("cli", cli)),
    ]
    for t in threads:
        t.start()
    started = time.monotonic()
    upload = subprocess.run(
        [IMPACT, "ingest", str(file), "--kind", "predictions"],
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.monotonic() - started
    done.set()
    for t in threads:
        t.join()
    print(f"upload: exit {upload.returncode} in {took:,.1f} s; {upload.stdout.strip()[-200:]}")
    if upload.returncode:
        print(upload.stderr[-1000:])
    for name, w in waits.items():
        print(
            f"{name:<8} {len(w):>4} reads: median {statistics.median(w):.2f} s, "
            f"longest {max(w):.2f} s"
        )
    print(f"errors: {len(errors)}; tracebacks: {sum('Traceback' in e for e in errors)}")
    for e in errors[:5]:
        print("  ", e)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30_000_000)
