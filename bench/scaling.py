"""The CUPED readout as the demo grows: 1M, 3M, 10M and 30M predictions.

At each size the churn experiment's tables are built as the P-prediction benchmark demo
builds them (P / 5 customers, the same seed, so the 10M point is bench ab's experiment),
assignments first, then the revenue outcomes, each with `ingest_file` into its own warehouse
under bench/out/scaling/P/. The readout reads only those tables and the catalog. Each
repetition runs in a fresh process (`python -m bench.scaling readout P FOLDER`); the
figures and a chart of time and peak memory against size are written next to the README.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench.common import OUT, peak_bytes, run_side

FOLDER = OUT / "scaling"
SIZES = (1_000_000, 3_000_000, 10_000_000, 30_000_000)
CUSTOMERS_PER_PREDICTION = 1 / 5  # as bench ab: 2,000,000 customers at 10M predictions
SEED = 7
METRIC = "revenue_28d"
FLAT_MEMORY = 1.5  # "flat": the largest size's peak at most this times the smallest's
CHART = Path(__file__).resolve().parent.parent / "docs" / "scaling.svg"


def customers(predictions: int) -> int:
    return round(predictions * CUSTOMERS_PER_PREDICTION)


def warehouse_dir(predictions: int, folder: Path = FOLDER) -> Path:
    return folder / str(predictions)


def open_store(predictions: int, folder: Path = FOLDER):
    return store_in(warehouse_dir(predictions, folder))


def store_in(where: Path):
    from impact.catalog import Catalog
    from impact.store import Store
    from impact.warehouse import Warehouse

    return Store(
        Warehouse(where / "impact.duckdb"), Catalog(f"sqlite:///{where}/catalog.sqlite"), "bench"
    )


def ensure_size(predictions: int, log=print, folder: Path = FOLDER) -> None:
    """Build the experiment's tables at this size unless a complete build is there."""
    from impact.demo import truth as T
    from impact.demo.load import register_catalog
    from impact.ingest import ingest_file

    where = warehouse_dir(predictions, folder)
    marker = where / "built.json"
    if marker.exists():
        if not all((where / f"{kind}.parquet").exists() for kind in KINDS):
            write_files(predictions, folder)  # the pandas side of bench ab reads them
        return
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    start = time.perf_counter()
    tables = write_files(predictions, folder)
    store = open_store(predictions, folder)
    register_catalog(store)
    rows = {}
    for kind, dataset in (("assignments", T.EXPERIMENT), ("outcomes", T.REVENUE_DATASET)):
        path = where / f"{kind}.parquet"
        rows[kind] = ingest_file(store, path, kind, dataset=dataset).dataset.rows
        assert rows[kind] == tables[kind].num_rows
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps({"rows": rows, "seconds": seconds}))
    log(
        f"  built {predictions:,} predictions' experiment ({customers(predictions):,} "
        f"customers, {rows['outcomes']:,} outcome rows) in {seconds:.1f} s"
    )


KINDS = ("assignments", "outcomes")


def write_files(predictions: int, folder: Path = FOLDER) -> dict:
    """The experiment's assignments and outcomes at this size, as Parquet next to its
    warehouse; the tables."""
    import numpy as np
    import pyarrow.parquet as pq

    from impact.demo import churn

    # The churn model's generator, seeded as impact.demo.generate.build seeds it.
    rng = np.random.default_rng(np.random.SeedSequence(SEED).spawn(4)[0])
    tables = churn.build(rng, customers(predictions))
    for kind in KINDS:
        pq.write_table(tables[kind], warehouse_dir(predictions, folder) / f"{kind}.parquet")
    return tables


def readout(predictions: int, folder: Path = FOLDER) -> dict:
    from impact.analysis.ab import experiment_readout
    from impact.demo import truth as T
    from impact.stats.experiment import ReadoutOptions

    store = open_store(predictions, folder)
    start = time.perf_counter()
    result = experiment_readout(store, T.EXPERIMENT, ReadoutOptions(cuped=True), metrics=[METRIC])
    seconds = time.perf_counter() - start
    estimates = result.readout.estimates
    if not estimates or not all(e.method.startswith("CUPED") for e in estimates):
        raise RuntimeError(f"Impact did not use CUPED: {[e.method for e in estimates]}")
    return {"seconds": seconds, "effects": {e.label: e.effect for e in estimates}}


def benchmark(
    sizes=SIZES, repeat: int = 3, log=print, folder: Path = FOLDER, chart: Path | None = CHART
) -> bool:
    """Time the readout at each size; write the figures and the chart; True if the time
    grows at most linearly and memory stays flat."""
    figures = []
    for predictions in sizes:
        ensure_size(predictions, log, folder)
        runs = [
            run_side("bench.scaling", "readout", [str(predictions), str(folder)])
            for _ in range(repeat)
        ]
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak"] for r in runs)
        figures.append({"predictions": predictions, "seconds": seconds, "peak": peak})
        log(f"  {predictions:>12,} predictions  {seconds:6.2f} s   peak memory {peak / 1e9:.2f} GB")
    (folder / "scaling.json").write_text(json.dumps(figures, indent=2))
    if chart is not None:
        write_chart(figures, chart)
        log(f"  chart: {chart}")
    checks = []
    for small, large in zip(figures, figures[1:], strict=False):
        growth = large["seconds"] / small["seconds"]
        size = large["predictions"] / small["predictions"]
        checks.append(
            (
                f"time: {small['predictions']:,} -> {large['predictions']:,} predictions "
                f"took {growth:.2f}x the time for {size:.2f}x the data (target <= linear)",
                growth <= size,
            )
        )
    peaks = [f["peak"] for f in figures]
    spread = max(peaks) / min(peaks)
    checks.append(
        (
            f"memory: the largest peak is {spread:.2f}x the smallest (target <= {FLAT_MEMORY:g}x)",
            spread <= FLAT_MEMORY,
        )
    )
    for text, passed in checks:
        log(f"  {'PASS' if passed else 'FAIL'}  {text}")
    return all(passed for _, passed in checks)


def write_chart(figures: list[dict], path: Path) -> None:
    """Two panels, time and peak memory against predictions (log scale), as SVG."""
    import altair as alt
    import pandas as pd
    import vl_convert as vlc

    frame = pd.DataFrame(figures)
    frame["millions"] = frame["predictions"] / 1e6
    frame["gigabytes"] = frame["peak"] / 1e9
    x = alt.X("millions:Q", title="predictions (millions, log scale)", scale=alt.Scale(type="log"))
    base = alt.Chart(frame).mark_line(point=True).encode(x=x).properties(width=300, height=200)
    time_panel = base.encode(y=alt.Y("seconds:Q", title="readout time (s)")).properties(
        title="CUPED readout time"
    )
    memory_panel = base.encode(
        y=alt.Y("gigabytes:Q", title="peak memory (GB)", scale=alt.Scale(zero=True))
    ).properties(title="Peak memory")
    spec = alt.hconcat(time_panel, memory_panel).to_json()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(vlc.vegalite_to_svg(spec))


if __name__ == "__main__":
    result = readout(int(sys.argv[2]), Path(sys.argv[3]))
    result["peak"] = peak_bytes()
    print(json.dumps(result))
