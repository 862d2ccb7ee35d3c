"""Issue 14, item 13: scratch folders of killed processes are removed on the next start,
and never one whose process is alive."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import pytest

from impact.ingest import ingest_file
from impact.scratch import alive, remove_stale, scratch_dir
from impact.store import open_store
from impact.warehouse import Staging

ROLLOUTS = "study,unit_id,treated_at\ns,r1,2026-03-01\ns,r2,\n"


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    """A temporary directory of its own (TMPDIR), so other processes' folders are not seen."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not alive(child.pid)
    return child.pid


def leftover(folder, name: str, age_days: float = 0):
    path = folder / name
    path.mkdir()
    (path / "staging.duckdb").write_bytes(b"x" * 1000)
    if age_days:
        then = time.time() - age_days * 86400
        for p in (path / "staging.duckdb", path):
            os.utime(p, (then, then))
    return path


@pytest.mark.parametrize("start", ["ingest", "open_store"])
def test_a_dead_process_folder_goes_a_live_one_stays(store, tmp, tmp_path, start):
    dead = dead_pid()
    stale = [leftover(tmp, f"impact-{p}-{dead}-ab12cd_3") for p in ("staging", "upload", "demo")]
    live = leftover(tmp, f"impact-staging-{os.getpid()}-zz9")
    parent = leftover(tmp, f"impact-staging-{os.getppid()}-yy8")  # another live process
    old_unowned = leftover(tmp, "impact-staging-k2j4l5m6", age_days=2)
    new_unowned = leftover(tmp, "impact-staging-a1b2c3d4")  # an older version's, in use now?
    other = leftover(tmp, f"pytest-{dead}-x", age_days=3)  # not Impact's
    if start == "ingest":
        path = tmp_path / "r.csv"
        path.write_text(ROLLOUTS)
        ingest_file(store, path, "rollouts")
    else:
        open_store()
    assert not any(p.exists() for p in [*stale, old_unowned])
    assert all(p.exists() for p in (live, parent, new_unowned, other))


def test_staging_and_scratch_folders_name_their_process(tmp):
    with Staging() as staging:
        folder = staging.path.parent
        assert folder.parent == tmp and folder.name.startswith(f"impact-staging-{os.getpid()}-")
        assert remove_stale() == [] and folder.exists()  # our own: alive
    assert not folder.exists()
    with scratch_dir("upload") as name:
        assert os.path.basename(name).startswith(f"impact-upload-{os.getpid()}-")
    with pytest.raises(ValueError):
        scratch_dir("elsewhere")


KILLED_INGEST = """
import sys, time
import impact.ingest as ingest
from impact.store import open_store
real = ingest.check_file
def slow(*args, **kwargs):
    print("staged", flush=True)
    time.sleep(60)
ingest.check_file = slow
ingest.ingest_file(open_store(), sys.argv[1], "rollouts")
"""


def test_the_folder_of_a_sigkilled_ingest_is_removed_by_the_next_one(store, tmp, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(ROLLOUTS)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST, str(path)],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "staged"
    [folder] = list(tmp.glob(f"impact-staging-{child.pid}-*"))
    assert (folder / "staging.duckdb").exists()
    child.kill()
    child.wait(timeout=30)
    assert folder.exists()  # SIGKILL: nothing of the child's ran
    ingest_file(store, path, "rollouts")
    assert not folder.exists()
    assert list(tmp.iterdir()) == []  # this ingest's own folder went with it
