"""Figures for issue 14's closing note, outside the suite:

- corpus: every bad file of tests/badfiles/make_corpus.py tried against a seeded store:
  refused cleanly (an ImpactError naming the problem, nothing stored changed), accepted
  wrongly, or crashed;
- kills: `impact ingest` and `impact demo` killed with SIGKILL at random moments, each
  followed by `impact check`; a state is inconsistent if the check still reports a problem
  afterwards, or an upload is partly stored, doubled or known to one database only; the
  demo is then completed and compared with a clean load.

Usage: python scripts/robustness.py [kills]   (default 20 of each)"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from impact.catalog import Catalog
from impact.errors import ImpactError
from impact.ingest import ingest_file
from impact.store import Store
from impact.warehouse import Warehouse

ROOT = Path(__file__).parents[1]
IMPACT = str(Path(sys.executable).parent / "impact")


def _corpus():
    spec = importlib.util.spec_from_file_location(
        "make_corpus", ROOT / "tests" / "badfiles" / "make_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


def corpus_tally() -> None:
    corpus = _corpus()
    root = Path(tempfile.mkdtemp(prefix="impact-corpus-"))
    store = Store(Warehouse(root / "w.duckdb"), Catalog(f"sqlite:///{root}/c.sqlite"))
    for name, (kind, path) in corpus.write_seed(root / "seed").items():
        ingest_file(store, path, kind, dataset=Path(name).stem)
    refused = wrong = crashed = 0
    for bad, path in corpus.make_corpus(root / "bad"):
        before = store.warehouse.table_checksums(), len(store.catalog.datasets())
        try:
            ingest_file(store, path, bad.kind, **bad.options)
            wrong += 1
            print(f"  accepted wrongly: {bad.name}")
        except ImpactError:
            same = (store.warehouse.table_checksums(), len(store.catalog.datasets())) == before
            refused += same
            wrong += not same
        except Exception as exc:  # the point of the tally
            crashed += 1
            print(f"  crashed: {bad.name}: {type(exc).__name__}: {exc}")
    tried = refused + wrong + crashed
    print(
        f"corpus: {tried} files tried, {refused} refused cleanly, {wrong} accepted or "
        f"changed data wrongly, {crashed} crashed"
    )


def _env(root: Path) -> dict:
    return {**os.environ, "IMPACT_DATA_DIR": str(root)}


def _assignments(path: Path, n: int, tag: str) -> None:
    pd.DataFrame(
        {
            "experiment": f"exp-{tag}",
            "unit_id": [f"u{i}" for i in range(n)],
            "arm": ["control", "treatment"] * (n // 2),
            "assigned_at": "2026-03-01",
        }
    ).to_csv(path, index=False)


def _check(root: Path) -> list:
    subprocess.run([IMPACT, "check"], env=_env(root), capture_output=True, text=True)
    after = subprocess.run(
        [IMPACT, "check", "--no-repair", "--json"], env=_env(root), capture_output=True, text=True
    )
    return json.loads(after.stdout or "[]")


def _whole(root: Path) -> bool:
    """Every upload in the ledger is whole, known to the catalog, and stored once."""
    store = Store(Warehouse(root / "impact.duckdb"), Catalog(f"sqlite:///{root}/catalog.sqlite"))
    loads = dict(store.warehouse.execute("SELECT dataset_id, row_count FROM loads").rows)
    catalog = {d.id for d in store.catalog.datasets()}
    for table in ("assignments", "predictions", "outcomes", "rollouts"):
        counts = store.warehouse.execute(
            f"SELECT dataset_id, count(*) FROM {table} GROUP BY dataset_id"
        ).rows
        for dataset_id, count in counts:
            if dataset_id not in loads or (table != "outcomes" and count != loads[dataset_id]):
                return False
    names = [d.name for d in store.catalog.datasets()]
    return set(loads) == catalog and len(names) == len(set(names))


def kill(command: list[str], root: Path, delay: float) -> bool:
    proc = subprocess.Popen(
        command, env=_env(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + delay
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed


def kills(n: int) -> None:
    rng = random.Random(14)
    root = Path(tempfile.mkdtemp(prefix="impact-kills-"))
    file = root / "a.csv"
    inconsistent = killed = 0
    for i in range(n):
        _assignments(file, 300_000, str(i))
        killed += kill(
            [IMPACT, "ingest", str(file), "--kind", "assignments", "--dataset", f"a{i}"],
            root,
            rng.uniform(0.2, 12.0),
        )
        problems = _check(root)
        inconsistent += bool(problems) or not _whole(root)
    print(f"ingest: {n} runs, {killed} killed, {inconsistent} inconsistent after impact check")
    demo_root = Path(tempfile.mkdtemp(prefix="impact-kill-demo-"))
    inconsistent = killed = 0
    for _ in range(n):
        killed += kill([IMPACT, "demo"], demo_root, rng.uniform(0.5, 25.0))
        inconsistent += bool(_check(demo_root)) or not _whole(demo_root)
    finish = subprocess.run([IMPACT, "demo"], env=_env(demo_root), capture_output=True, text=True)
    clean_root = Path(tempfile.mkdtemp(prefix="impact-clean-demo-"))
    subprocess.run([IMPACT, "demo"], env=_env(clean_root), capture_output=True, text=True)
    same = _facts(demo_root) == _facts(clean_root)
    print(
        f"demo: {n} runs, {killed} killed, {inconsistent} inconsistent after impact check; "
        f"completed by a last run (exit {finish.returncode}): "
        f"{'the same facts as a clean load' if same else 'DIFFERENT from a clean load'}"
    )


def _facts(root: Path) -> dict:
    wh = Warehouse(root / "impact.duckdb")
    return {
        t: wh.table_checksums()[t].split(":")[0]
        for t in ("assignments", "outcomes", "predictions", "rollouts")
    }


if __name__ == "__main__":
    if "--kills-only" not in sys.argv:
        corpus_tally()
    counts = [a for a in sys.argv[1:] if a.isdigit()]
    kills(int(counts[0]) if counts else 20)
