"""Readers in other processes and threads while one process ingests: no errors, and each
reader sees the data before or after an upload, never part of one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pandas as pd

from impact.analysis.portfolio import portfolio

BATCH = 2_000
FILES = 5

WRITER = """
import sys
from impact.ingest import ingest_file
from impact.store import open_store
store = open_store()
for path in sys.argv[1:]:
    ingest_file(store, path, "assignments")
print("written", flush=True)
"""

READER = """
import json, sys, time
from impact.analysis.portfolio import portfolio
from impact.store import open_store
store = open_store()
seen, deadline = [], time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    seen.append(store.warehouse.scalar("SELECT count(*) FROM assignments"))
    seen.append(portfolio(store).counts["assignments"])
print(json.dumps(seen), flush=True)
"""


def files(tmp_path):
    paths = []
    for k in range(FILES):
        path = tmp_path / f"batch{k}.csv"
        pd.DataFrame(
            {
                "experiment": f"e{k}",
                "unit_id": [f"u{i}" for i in range(BATCH)],
                "arm": ["control", "treatment"] * (BATCH // 2),
                "assigned_at": "2026-03-01",
            }
        ).to_csv(path, index=False)
        paths.append(str(path))
    return paths


def test_readers_in_processes_and_threads_while_one_process_writes(store, tmp_path):
    store.warehouse.execute("SELECT 1")  # create the schema before the race starts
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, *files(tmp_path)],
        env=os.environ,
        stdout=subprocess.PIPE,
        text=True,
    )
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, "6"],
            env=os.environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    seen_here, errors = [], []

    def read_in_thread():
        try:
            for _ in range(15):
                seen_here.append(portfolio(store).counts["assignments"])
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read_in_thread) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, _ = writer.communicate(timeout=120)
    assert writer.returncode == 0 and out.strip() == "written"
    seen = list(seen_here)
    for r in readers:
        out, err = r.communicate(timeout=120)
        assert r.returncode == 0, err
        seen += json.loads(out)
    assert not errors
    assert seen and all(n % BATCH == 0 for n in seen)  # whole uploads only
    assert store.warehouse.scalar("SELECT count(*) FROM assignments") == FILES * BATCH
    assert len(store.catalog.datasets()) == FILES  # nothing lost or duplicated
