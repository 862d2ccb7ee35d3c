"""Issue 14, item 13: a killed `impact demo` is completed by running it again, with every
dataset stored once and the same numbers as a clean load."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from typer.testing import CliRunner

import impact.demo.load as load_module
from impact.catalog import Catalog
from impact.cli import app
from impact.demo import is_partial, load_demo
from impact.demo.generate import FILE_ORDER
from impact.errors import InvalidInput
from impact.store import Store
from impact.warehouse.schema import FACT_TABLES

runner = CliRunner()


def fingerprint(store: Store) -> dict:
    """Every fact row (without its upload id) and the uploads by name: equal for two
    stores that hold the same data, however many runs it took."""
    sums = {}
    for table in FACT_TABLES:
        sums[table] = store.warehouse.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM "
            f"(SELECT * EXCLUDE (dataset_id) FROM {table}) AS t"
        ).rows[0]
    uploads = store.warehouse.execute(
        "SELECT kind, name, count(*), sum(row_count), min(checksum) FROM loads "
        "GROUP BY ALL ORDER BY ALL"
    ).rows
    return {"facts": sums, "uploads": uploads}


def catalog_once(store: Store) -> None:
    names = sorted((d.kind, d.name) for d in store.catalog.datasets())
    assert names == sorted(FILE_ORDER)  # all 11, each once


def test_a_demo_killed_after_five_uploads_is_completed_by_the_next_run(
    store, demo_store, monkeypatch
):
    real, calls = load_module.ingest_file, []

    def dies_after_five(*args, **kwargs):
        if len(calls) == 5:
            raise KeyboardInterrupt("killed")  # as a signal would stop it
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(load_module, "ingest_file", dies_after_five)
    with pytest.raises(KeyboardInterrupt):
        load_demo(store)
    assert len(store.catalog.datasets()) == 5 and is_partial(store)
    assumptions = len(store.catalog.assumption_history("loaded_hourly_rate"))
    monkeypatch.setattr(load_module, "ingest_file", real)
    result = runner.invoke(app, ["demo", "--if-empty"])  # make run's call completes it too
    assert result.exit_code == 0, result.output
    assert "5 of 11 demo datasets were already loaded; loaded the other 6." in result.stdout
    catalog_once(store)
    assert fingerprint(store) == fingerprint(demo_store)
    # The catalog records were all there: not registered again (no new assumption versions).
    assert len(store.catalog.assumption_history("loaded_hourly_rate")) == assumptions
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0 and "All 11 demo datasets were already loaded" in again.stdout
    assert fingerprint(store) == fingerprint(demo_store)
    skipped = runner.invoke(app, ["demo", "--if-empty"])
    assert "already holds data; demo not loaded" in skipped.stdout


def test_a_demo_dataset_with_other_bytes_is_refused_not_mixed(store):
    load_demo(store, predictions=1_000)
    before = fingerprint(store)
    with pytest.raises(InvalidInput, match="not this demo's file.*--seed or --predictions"):
        load_demo(store, predictions=1_000, seed=8)
    assert fingerprint(store) == before


def test_sigkilled_demo_run_is_completed_and_checks_clean(store, demo_store, tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", "from impact.cli import app; app()", "demo"],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    catalog = Catalog(store.catalog.url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if len(catalog.datasets()) >= 3:
            break
        time.sleep(0.05)
    assert child.poll() is None, child.stderr.read()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    stored = len(catalog.datasets())
    assert 3 <= stored < len(FILE_ORDER)
    assert list(tmp.glob(f"impact-*-{child.pid}-*"))  # its demo (and staging) folders
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    said = re.search(
        r"(\d+) of 11 demo datasets were already loaded; loaded the other (\d+)\.", result.stdout
    )
    assert said, result.stdout
    # An upload the kill caught after its commit is recorded on restart, and counts as loaded.
    assert int(said[1]) + int(said[2]) == len(FILE_ORDER) and int(said[1]) in (stored, stored + 1)
    catalog_once(store)
    assert fingerprint(store) == fingerprint(demo_store)
    check = runner.invoke(app, ["check", "--no-repair"])
    assert check.exit_code == 0 and "agree on every upload" in check.stdout
    assert list(tmp.iterdir()) == []  # the killed run's folders are gone
