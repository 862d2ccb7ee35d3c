"""A process killed mid-ingest leaves warehouse and catalog consistent after restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from impact.cli import app
from impact.ingest import ingest_file
from impact.ingest.reconcile import reconcile
from impact.ingest.write import LoadRecord, now, write_load
from impact.store import Store

INGEST = """
import sys
from impact.ingest import ingest_file
from impact.store import open_store
print("start", flush=True)
ingest_file(open_store(), sys.argv[1], "assignments")
print("done", flush=True)
"""


def consistent(store: Store) -> set[str]:
    """Every stored upload is whole and known to both databases; returns their ids."""
    loads = dict(store.warehouse.execute("SELECT dataset_id, row_count FROM loads").rows)
    rows = dict(
        store.warehouse.execute(
            "SELECT dataset_id, count(*) FROM assignments GROUP BY dataset_id"
        ).rows
    )
    assert rows == {k: v for k, v in loads.items() if k in rows}
    assert set(rows) == set(loads)  # no orphan rows, no empty ledger entries
    assert {d.id for d in store.catalog.datasets()} == set(loads)
    return set(loads)


def big_file(tmp_path, n: int, tag: str):
    path = tmp_path / f"assign-{tag}.csv"
    pd.DataFrame(
        {
            "experiment": f"exp-{tag}",
            "unit_id": [f"u{i}" for i in range(n)],
            "arm": ["control", "treatment"] * (n // 2),
            "assigned_at": "2026-03-01",
        }
    ).to_csv(path, index=False)
    return path


def test_sigkill_at_any_moment_leaves_all_or_nothing(store, tmp_path):
    outcomes = []
    for trial, delay in enumerate((0.3, 0.8, 1.2, 1.6, 2.0, 2.6, 30.0)):
        path = big_file(tmp_path, 300_000, str(trial))
        proc = subprocess.Popen(
            [sys.executable, "-c", INGEST, str(path)],
            env=os.environ,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "start"
        deadline = time.monotonic() + delay
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        reconcile(store)  # what the next process does on start
        stored = consistent(store)
        name = f"assign-{trial}"
        outcomes.append(any(d.name == name for d in store.catalog.datasets()))
        assert len(stored) == sum(outcomes)
    assert outcomes[-1] and not outcomes[0]  # the uninterrupted run landed, the first did not


def test_killed_between_commit_and_catalog_is_finished_on_restart(store, tmp_path):
    """Simulate the narrowest window: rows committed, catalog not yet written."""
    from impact.contract import fact
    from impact.ingest.read import checksum, read_into
    from impact.ingest.report import ValidationReport
    from impact.ingest.rules import FileContext, check_file
    from impact.warehouse import Staging

    path = big_file(tmp_path, 10, "x")
    report = ValidationReport(path.name, "assignments")
    with Staging() as staging:
        read_into(staging, path)
        staged = check_file(staging, fact("assignments"), {}, FileContext(), report)
        staging.close()
        record = LoadRecord(
            "d-1", "assign-x", "assignments", path.name, checksum(path), 10, {}, "tester", now()
        )
        write_load(
            store.warehouse, staging.path, fact("assignments"), staged, record, report, False
        )
    assert store.catalog.datasets() == []
    result = CliRunner().invoke(app, ["check", "--no-repair"])
    assert result.exit_code == 1 and "missing from the catalog" in result.stdout
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0 and "repaired" in result.stdout
    consistent(store)
    study = store.catalog.study("exp-x")  # the experiment the upload declares is back too
    assert study.arms == ["control", "treatment"]
    assert CliRunner().invoke(app, ["check"]).stdout.strip() == (
        "Warehouse and catalog agree on every upload."
    )


def test_a_catalog_failure_rolls_the_warehouse_back(store, tmp_path, monkeypatch):
    import impact.ingest as ingest_module

    def broken(*args, **kwargs):
        raise RuntimeError("catalog down")

    monkeypatch.setattr(ingest_module, "record_in_catalog", broken)
    before = store.warehouse.table_checksums()
    with pytest.raises(RuntimeError, match="catalog down"):
        ingest_file(store, big_file(tmp_path, 10, "y"), "assignments")
    assert store.warehouse.table_checksums() == before
