"""A streamlit server on a free local port, and headless Chromium, for the browser tests,
`python -m bench pages` and scripts/browse.py. No page code: the server is `impact app`'s
command (`impact.launch`) in a subprocess, and Playwright is the caller's."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from impact.launch import LOCAL, streamlit_command

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return s.getsockname()[1]


@contextmanager
def serve(
    cwd: Path, env: dict[str, str], log: Path | None = None, start_s: float = 20
) -> Iterator[str]:
    """`streamlit run app.py` on a free local port, from `cwd` (where it reads
    .streamlit/secrets.toml), with `env` over this process's environment; yields its base
    URL and stops it afterwards. Its output goes to `log` (default cwd/server.log), which
    the error quotes if it does not answer within `start_s` seconds."""
    port = free_port()
    command = streamlit_command(LOCAL, port)
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    log = log or cwd / "server.log"  # a file, not a pipe nobody drains
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://{LOCAL}:{port}"
    try:
        deadline = time.monotonic() + start_s
        while True:
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=1)
                break
            except OSError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start: {log.read_text()}") from exc
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def chromium(playwright):
    """Debian's chromium, headless, from a `sync_playwright()` context."""
    return playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
