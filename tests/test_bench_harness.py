"""The ingest and scaling benchmarks run end to end at a tiny size (no timing asserted:
the figures come from `make bench`); this keeps their harness working."""

from __future__ import annotations

import json

from bench import ingest, scaling


def test_the_ingest_benchmark_loads_every_side_and_reports_them(tmp_path):
    lines: list[str] = []
    ingest.benchmark(1_000, repeat=1, log=lines.append, folder=tmp_path)
    text = "\n".join(lines)
    for fmt in ingest.FORMATS:
        assert f"Ingest of 1,000 predictions from {fmt.upper()}" in text
    for label in ingest.LABELS.values():
        assert text.count(label) == 2  # one row per format
    assert text.count("validated rows/s (target >= 1,000,000)") == 2


def test_the_scaling_benchmark_times_each_size_and_draws_the_chart(tmp_path):
    lines: list[str] = []
    chart = tmp_path / "scaling.svg"
    scaling.benchmark((5_000, 10_000), repeat=1, log=lines.append, folder=tmp_path, chart=chart)
    figures = json.loads((tmp_path / "scaling.json").read_text())
    assert [f["predictions"] for f in figures] == [5_000, 10_000]
    assert all(f["seconds"] > 0 and f["peak"] > 0 for f in figures)
    assert chart.read_text().startswith("<svg")
    assert any("took" in line and "the time for 2.00x the data" in line for line in lines)
