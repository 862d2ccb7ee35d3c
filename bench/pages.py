"""Every page and the main widget changes, cold and warm, with AppTest and in Chromium.

`python -m bench pages` runs both sides on the 10M-prediction demo (bench/out/), each in
a fresh process, and prints one table against the targets: under 3 s cold, under 1 s warm.

- cold: the first time in a fresh process (no Streamlit cache, no DuckDB instance; the
  operating system's file cache is warm, as on any running server). For a widget change,
  the first time that choice is computed, in the running app.
- first view: the Overview in a fresh process with no result kept for this data version
  (impact.warehouse.results): what the first visitor after an upload waits for, once.
  The cold runs after it find the results of reads kept beside the version, as every
  process does once anyone has opened a page on the current data.
- warm: the same again in that process: a page reached a second time, a page opened
  directly (a new browser session) once the server has served it, a widget change back
  and forth to a choice already made.

AppTest times `run()` of app.py (the router, the sidebar and the page); it alone drives the
sidebar's date range (this Streamlit's date picker has no text field Playwright can type
a range into). The browser side
starts `streamlit run app.py`, drives headless Chromium (Playwright) and times each action
until the server says the script run finished (its `script_finished` message on the
websocket), then checks the page shows no exception.

Each side is `python -m bench.pages apptest|browser`, reading the store from
IMPACT_WAREHOUSE and IMPACT_CATALOG_URL and printing one JSON line of step → seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from impact.serve import chromium, serve

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TARGET_COLD = 3.0
TARGET_WARM = 1.0
# (file in pages/, sidebar link, heading); the Overview is the default page.
PAGES = [
    ("overview", "Overview", "Impact overview"),
    ("experiments", "Experiments", "Experiments"),
    ("rollouts", "Rollouts", "Rollouts"),
    ("model_health", "Model health", "Model health"),
    ("data", "Data", "Data"),
    ("metrics", "Metrics", "Metrics"),
]
TIMEOUT_S = 600
# Set by the test suite's tiny run: each step once (its cold figure), to keep the harness
# working without the minutes a full run takes.
TINY_ENV = "BENCH_PAGES_TINY"


def _rounds() -> tuple[str, ...]:
    return ("cold",) if os.environ.get(TINY_ENV) else ("cold", "warm")


def bench_env() -> dict[str, str]:
    """The 10M demo's databases for the app, as bench.common.open_store opens them."""
    from bench.common import CATALOG, WAREHOUSE

    return {"IMPACT_WAREHOUSE": str(WAREHOUSE), "IMPACT_CATALOG_URL": f"sqlite:///{CATALOG}"}


# --- AppTest ---------------------------------------------------------------------------


def apptest_side() -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    times: dict[str, float] = {}

    def timed(step: str, act: Callable[[], object]) -> None:
        start = time.perf_counter()
        at_ = act()
        times[step] = time.perf_counter() - start
        print(f"{step} {times[step]:.2f} s", file=sys.stderr, flush=True)  # progress
        if at_.exception:
            raise RuntimeError(f"{step}: {at_.exception[0].value}")

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    for rnd in _rounds():
        for file, title, _ in PAGES:
            if file == "overview" and rnd == "cold":
                timed(f"page {title}|{rnd}", at.run)
            else:
                timed(f"page {title}|{rnd}", lambda f=file: at.switch_page(f"pages/{f}.py").run())

    def widget(kind: str, label: str):  # found afresh: each run() builds a new tree
        return next(w for w in getattr(at, kind) if w.label.startswith(label))

    def setter(kind: str, label: str) -> Callable:
        return lambda value: widget(kind, label).set_value(value).run()

    at.switch_page("pages/overview.py").run()
    first = widget("multiselect", "Business unit").options[0]
    _change(timed, "Overview business unit", setter("multiselect", "Business unit"), [first], [])
    whole = widget("date_input", "Date range").value
    narrow = (whole[0] + timedelta(days=7), whole[1] - timedelta(days=7))
    _change(timed, "date range (Overview)", setter("date_input", "Date range"), narrow, whole)

    at.switch_page("pages/experiments.py").run()
    on = bool(widget("toggle", "CUPED").value)
    _change(timed, "Experiments CUPED toggle", setter("toggle", "CUPED"), not on, on)

    at.switch_page("pages/model_health.py").run()
    _change(timed, "Model health day period", setter("radio", "Period"), "day", "week")
    other = (whole[0] + timedelta(days=14), whole[1])
    _change(timed, "date range (Model health)", setter("date_input", "Date range"), other, narrow)
    return times


def first_view_side() -> dict[str, float]:
    """The Overview with nothing kept for the data version (cleared by `measure`)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"first view: {at.exception[0].value}")
    return {"page Overview (first view after a data change)|cold": seconds}


def _forget_results(warehouse: str) -> None:
    from impact.warehouse import results, versions

    current = versions.current_file(Path(warehouse))
    if current is not None:
        shutil.rmtree(results.folder(current), ignore_errors=True)


def _steps() -> tuple[str, ...]:
    return ("cold", "back", "warm") if len(_rounds()) > 1 else ("cold",)


def _change(timed, what: str, set_to: Callable, new, old) -> None:
    """A widget to a new value (cold), back (warm, already shown), to the new one again
    (warm: the step's warm figure)."""
    timed(f"{what}|cold", lambda: set_to(new))
    if len(_rounds()) > 1:
        timed(f"{what}|back", lambda: set_to(old))
        timed(f"{what}|warm", lambda: set_to(new))


# --- Chromium --------------------------------------------------------------------------


class Runs:
    """Counts the server's finished script runs, read off the page's websockets."""

    def __init__(self, page, timeout_s: float = 600) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.finished = 0
        self.timeout_s = timeout_s
        self._msg = ForwardMsg
        self._page = page
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if not isinstance(payload, bytes):
            return
        msg = self._msg.FromString(payload)
        finished = msg.WhichOneof("type") == "script_finished"
        if finished and msg.script_finished == self._msg.FINISHED_SUCCESSFULLY:
            self.finished += 1

    def time(self, act: Callable[[], object]) -> float:
        """Seconds from `act` to the end of the script run it started."""
        before = self.finished
        start = time.perf_counter()
        act()
        deadline = start + self.timeout_s
        while self.finished == before:
            if time.perf_counter() > deadline:
                raise RuntimeError("no script run finished")
            self._page.wait_for_timeout(10)  # lets Playwright deliver the frames
        return time.perf_counter() - start


def browser_side() -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    env = {k: os.environ[k] for k in ("IMPACT_WAREHOUSE", "IMPACT_CATALOG_URL")}
    log = Path(os.environ.get("BENCH_SERVER_LOG", "/tmp/bench-pages-server.log"))
    times: dict[str, float] = {}
    with serve(ROOT, env, log, start_s=60) as base, sync_playwright() as p:
        browser = chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        runs = Runs(page, TIMEOUT_S)

        def timed(step: str, act: Callable[[], object]) -> None:
            times[step] = runs.time(act)
            print(f"{step} {times[step]:.2f} s", file=sys.stderr, flush=True)  # progress
            if page.locator("[data-testid='stException']").count():
                raise RuntimeError(f"{step}: the page shows an exception")

        for rnd in _rounds():
            for _, title, heading in PAGES:
                if title == "Overview" and rnd == "cold":
                    timed(f"page {title}|{rnd}", lambda: page.goto(base))
                else:
                    link = page.get_by_role("link", name=title, exact=True)
                    timed(f"page {title}|{rnd}", link.click)
                page.get_by_role("heading", name=heading, exact=True).wait_for()
        for file, title, heading in PAGES if len(_rounds()) > 1 else []:
            path = "" if file == "overview" else file
            timed(f"direct {title}|warm", lambda p=path: page.goto(f"{base}/{p}"))
            page.get_by_role("heading", name=heading, exact=True).wait_for()

        page.goto(base)
        page.get_by_role("heading", name="Impact overview", exact=True).wait_for()
        page.wait_for_load_state("networkidle")
        box = page.get_by_test_id("stMultiSelect").filter(has_text="Business unit")

        def pick() -> None:
            box.locator("input").click()
            page.get_by_role("option").first.click()

        def unpick() -> None:
            box.locator("input").click()
            page.keyboard.press("Backspace")  # removes the last chosen option

        timed("Overview business unit|cold", pick)
        page.keyboard.press("Escape")
        if len(_rounds()) > 1:
            timed("Overview business unit|back", unpick)
            timed("Overview business unit|warm", pick)
            page.keyboard.press("Escape")

        page.get_by_role("link", name="Experiments", exact=True).click()
        page.get_by_role("heading", name="Experiments", exact=True).wait_for()
        page.wait_for_load_state("networkidle")
        options = page.get_by_test_id("stExpander").filter(has_text="Analysis options")
        options.get_by_text("Analysis options").first.click()  # opening it runs nothing
        cuped = options.get_by_text("CUPED (pre-period adjustment)")
        for step in _steps():
            timed(f"Experiments CUPED toggle|{step}", cuped.click)

        page.get_by_role("link", name="Model health", exact=True).click()
        page.get_by_role("heading", name="Model health", exact=True).wait_for()
        page.wait_for_load_state("networkidle")
        radio = page.get_by_test_id("stRadio").filter(has_text="Period")
        day = lambda: radio.get_by_text("day", exact=True).click()  # noqa: E731
        week = lambda: radio.get_by_text("week", exact=True).click()  # noqa: E731
        for step, act in zip(_steps(), (day, week, day), strict=False):
            timed(f"Model health day period|{step}", act)

        browser.close()
    return times


# --- report ----------------------------------------------------------------------------


def run_side(side: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.pages", side],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"The {side} side failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


Row = tuple[str, str, float | None, float | None]


def table(results: dict[str, dict[str, float]]) -> list[Row]:
    """Rows of (side, step, cold, warm): seconds, None where a step has no such figure."""
    rows = []
    for side, times in results.items():
        steps = dict.fromkeys(k.split("|")[0] for k in times)
        for step in steps:
            rows.append((side, step, times.get(f"{step}|cold"), times.get(f"{step}|warm")))
    return rows


def _seconds(value: float | None) -> str:
    return f"{value:6.2f}s" if value is not None else "      –"


def measure(env: dict[str, str], log=print, sides=("apptest", "browser")) -> list[Row]:
    """Each side in its own process, on the store `env` names; the rows of `table`. The
    first view runs first, with the data version's kept results removed."""
    env = {**env, "IMPACT_RESULT_CACHE": "1"}
    _forget_results(env["IMPACT_WAREHOUSE"])
    results = {}
    for side in ("first", *sides):
        log(f"  {side} …")
        results[side] = run_side(side, env)
    log("  RESULT " + json.dumps(results))
    return table(results)


def benchmark(env: dict[str, str], log=print, sides=("apptest", "browser")) -> bool:
    """Both sides, one table, PASS/FAIL per target; True if every step meets both."""
    rows = measure(env, log, sides)
    log(f"  {'side':<8} {'step':<30} {'cold':>7} {'warm':>7}")
    for side, step, cold, warm in rows:
        log(f"  {side:<8} {step:<30} {_seconds(cold)} {_seconds(warm)}")
    slow_cold = [(s, n, c) for s, n, c, _ in rows if c is not None and c >= TARGET_COLD]
    slow_warm = [(s, n, w) for s, n, _, w in rows if w is not None and w >= TARGET_WARM]
    checks = [
        (f"every step under {TARGET_COLD:.0f} s cold", slow_cold),
        (f"every step under {TARGET_WARM:.0f} s warm", slow_warm),
    ]
    for text, slow in checks:
        misses = ", ".join(f"{s} {n} {t:.2f} s" for s, n, t in slow)
        log(f"  {'FAIL' if slow else 'PASS'}  {text}" + (f" (missed: {misses})" if slow else ""))
    return not (slow_cold or slow_warm)


if __name__ == "__main__":
    side = sys.argv[1]
    sides = {"apptest": apptest_side, "browser": browser_side, "first": first_view_side}
    found = sides[side]()
    print(json.dumps(found))
