"""Scratch folders named for the process that owns them, and removing those left behind.

An upload's staging database (about the size of the file, often over 100 MB), the Data
page's copy of an uploaded file and the demo's generated files live in folders under the
temporary directory (TMPDIR) named `impact-<purpose>-<pid>-<random>`. A process killed
with SIGKILL, or by the out-of-memory killer, never removes its own folder, so the next
Impact process does: each ingest and each opening of the store remove the folders whose
process is gone. A folder whose process is alive is never touched, whoever owns it (were
its pid reused by another program, the folder would wait until that one ends too).

Folders from versions before the pid was in the name (`impact-staging-<random>`) cannot
name their owner; they are removed once nothing in them has changed for a day.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

PURPOSES = ("staging", "upload", "demo")
OWNED = re.compile(r"^impact-(?:staging|upload|demo)-(\d+)-[a-z0-9_]+$")
UNOWNED = re.compile(r"^impact-(?:staging|demo)-[a-z0-9_]{8}$")  # tempfile's 8 characters
UNOWNED_AGE = 24 * 3600.0


def scratch_dir(purpose: str) -> tempfile.TemporaryDirectory:
    """A new temporary folder that names this process (removed when it is closed)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown scratch purpose {purpose!r}")
    return tempfile.TemporaryDirectory(prefix=f"impact-{purpose}-{os.getpid()}-")


def remove_stale(folder: Path | str | None = None) -> list[Path]:
    """Remove the scratch folders under `folder` (default: the temporary directory) whose
    process has ended; return what was removed."""
    root = Path(folder or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith("impact-") and _stale(entry):
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.exists(entry.path):
                removed.append(Path(entry.path))
    return removed


def _stale(entry: os.DirEntry) -> bool:
    if not entry.is_dir(follow_symlinks=False):
        return False
    owned = OWNED.match(entry.name)
    if owned:
        return not alive(int(owned[1]))
    if UNOWNED.match(entry.name):
        return _unchanged_for(Path(entry.path), UNOWNED_AGE)
    return False


def alive(pid: int) -> bool:
    """A process with this id exists (on this machine), whoever runs it."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OSError:
        return True  # when in doubt, keep the folder
    return True


def _unchanged_for(folder: Path, seconds: float) -> bool:
    newest = 0.0
    try:
        for path in (folder, *folder.rglob("*")):
            newest = max(newest, path.lstat().st_mtime)
    except OSError:
        return False
    return time.time() - newest > seconds
