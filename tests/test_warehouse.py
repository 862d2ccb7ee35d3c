"""The warehouse shared by processes and threads; schema and checksums."""

from __future__ import annotations

import contextlib
import os
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


def test_a_reader_never_waits_for_a_writer_in_another_process(tmp_path):
    """Issue 14, item 10: a writer held the file for 53 s and every page waited. Now the
    reader gets the last published version at once, and the writer's rows after it
    commits."""
    path = tmp_path / "w.duckdb"
    Warehouse(path).execute("SELECT 1")
    proc = hold(path, 3.0)
    started = time.monotonic()
    count = Warehouse(path, busy_timeout=20).scalar("SELECT count(*) FROM rollouts")
    waited = time.monotonic() - started
    assert count == 0 and waited < 1.0  # the version before the writer's
    proc.wait(timeout=20)
    assert Warehouse(path).scalar("SELECT count(*) FROM rollouts") == 1


def test_a_second_writer_waits_for_the_first_and_both_land(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).execute("SELECT 1")
    proc = hold(path, 1.0)
    started = time.monotonic()
    with Warehouse(path, busy_timeout=20).transaction() as tx:
        tx.execute("INSERT INTO rollouts VALUES ('d', 's', 'u2', NULL)")
    assert time.monotonic() - started > 0.3
    proc.wait(timeout=20)
    units = Warehouse(path).execute("SELECT unit_id FROM rollouts ORDER BY 1").rows
    assert units == [("u1",), ("u2",)]  # neither copy overwrote the other


def test_a_writer_that_holds_too_long_gives_a_clear_busy_error(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).execute("SELECT 1")
    proc = hold(path, 3.0)
    try:
        with (
            pytest.raises(WarehouseBusy, match="pages and readouts keep working"),
            Warehouse(path, busy_timeout=0.5).transaction(),
        ):
            pass
        assert Warehouse(path, busy_timeout=0.5).scalar("SELECT count(*) FROM rollouts") == 0
    finally:
        proc.wait(timeout=20)


def test_a_killed_writer_leaves_the_published_version_and_its_debris_is_removed(tmp_path):
    import os
    import signal

    path = tmp_path / "w.duckdb"
    with Warehouse(path).transaction() as tx:
        tx.execute("INSERT INTO rollouts VALUES ('d', 's', 'u0', NULL)")
    proc = hold(path, 30.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=20)
    folder = path.with_name(path.name + ".versions")
    assert len(list(folder.glob("*.duckdb"))) == 2  # the current one and the killed copy
    assert Warehouse(path).scalar("SELECT count(*) FROM rollouts") == 1
    with Warehouse(path).transaction() as tx:
        tx.execute("INSERT INTO rollouts VALUES ('d', 's', 'u1', NULL)")
    assert [f.name for f in folder.iterdir()] == [path.resolve().name]
    assert Warehouse(path).scalar("SELECT count(*) FROM rollouts") == 2


def test_a_plain_file_from_an_older_impact_is_read_then_versioned(tmp_path):
    import duckdb

    from impact.warehouse.schema import TABLES

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for ddl in TABLES.values():
        con.execute(ddl)
    con.execute("INSERT INTO rollouts VALUES ('d', 's', 'u1', NULL)")
    con.close()
    wh = Warehouse(path)
    assert wh.scalar("SELECT count(*) FROM rollouts") == 1 and not path.is_symlink()
    with wh.transaction() as tx:
        tx.execute("INSERT INTO rollouts VALUES ('d', 's', 'u2', NULL)")
    assert path.is_symlink() and wh.scalar("SELECT count(*) FROM rollouts") == 2
    con = duckdb.connect(str(path), read_only=True)  # tools still open the same path
    assert con.execute("SELECT count(*) FROM rollouts").fetchone() == (2,)
    con.close()


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


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc/self/fd")
def test_a_process_keeps_the_current_version_open_and_lets_an_old_one_go(tmp_path):
    """Reads keep DuckDB's cache by holding the current version file open between units of
    work; a published version replaces it, so the old file's space is freed."""
    from impact.warehouse import versions

    wh = Warehouse(tmp_path / "impact.duckdb")
    assert wh.scalar("SELECT count(*) FROM loads") == 0
    old = versions.current_file(wh.path)
    assert str(old) in _open_files()  # kept after the read returned
    with wh.transaction() as tx:
        tx.execute("CREATE TABLE note AS SELECT 1 AS x")
    assert wh.scalar("SELECT x FROM note") == 1
    new = versions.current_file(wh.path)
    held = _open_files()
    assert new != old and str(new) in held
    assert not any(h.startswith(str(old)) for h in held)


def _open_files() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            found.add(os.readlink(f"/proc/self/fd/{fd}").removesuffix(" (deleted)"))
    return found
