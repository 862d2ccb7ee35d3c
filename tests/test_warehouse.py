"""The warehouse shared by processes and threads; schema and checksums."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from impact.errors import WarehouseBusy
from impact.warehouse import Warehouse

HOLDER = textwrap.dedent("""
    import sys, time
    from impact.warehouse import Warehouse
    wh = Warehouse(sys.argv[1])
    with wh.transaction() as tx:
        tx.execute("INSERT INTO rollouts VALUES ('d', 's', 'u1', NULL)")
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold(path, seconds):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_schema_is_created_on_first_use(tmp_path):
    wh = Warehouse(tmp_path / "new" / "w.duckdb")
    tables = {r[0] for r in wh.execute("SELECT table_name FROM information_schema.tables").rows}
    assert {"predictions", "outcomes", "assignments", "rollouts", "loads"} <= tables


def test_a_second_process_waits_for_the_writer_then_sees_its_rows(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).execute("SELECT 1")
    proc = hold(path, 1.0)
    started = time.monotonic()
    count = Warehouse(path, busy_timeout=20).scalar("SELECT count(*) FROM rollouts")
    waited = time.monotonic() - started
    proc.wait(timeout=20)
    assert count == 1  # the reader got in only after the writer committed
    assert waited > 0.3


def test_a_writer_that_holds_too_long_gives_a_clear_busy_error(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).execute("SELECT 1")
    proc = hold(path, 3.0)
    try:
        with pytest.raises(WarehouseBusy, match="in use by another process"):
            Warehouse(path, busy_timeout=0.5).scalar("SELECT count(*) FROM rollouts")
    finally:
        proc.wait(timeout=20)


def test_threads_read_while_one_writes_and_see_old_or_new_never_half(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    seen, errors = [], []

    def writer():
        for batch in range(20):
            with wh.transaction() as tx:
                for i in range(50):  # a batch of 50 rows lands together or not at all
                    tx.execute("INSERT INTO rollouts VALUES ('d', 's', ?, NULL)", [f"u{batch}-{i}"])

    def reader():
        try:
            for _ in range(40):
                seen.append(wh.scalar("SELECT count(*) FROM rollouts"))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(n % 50 == 0 for n in seen)
    assert wh.scalar("SELECT count(*) FROM rollouts") == 1000


def test_a_failed_transaction_leaves_no_rows(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    before = wh.table_checksums()
    with pytest.raises(RuntimeError), wh.transaction() as tx:
        tx.execute("INSERT INTO rollouts VALUES ('d', 's', 'u1', NULL)")
        raise RuntimeError("boom")
    assert wh.table_checksums() == before
