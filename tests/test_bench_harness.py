"""The ingest and scaling benchmarks run end to end at a tiny size (no timing asserted:
the figures come from `make bench`); this keeps their harness working."""

from __future__ import annotations

import json

from bench import ingest, scaling


def test_the_ingest_benchmark_loads_every_side_and_reports_them(tmp_path):
    lines: list[str] = []
    ingest.benchmark(1_000, repeat=1, log=lines.append, folder=tmp_path, formats=("csv",))
    text = "\n".join(lines)
    assert "Ingest of 1,000 predictions from CSV" in text
    for label in ingest.LABELS.values():
        assert text.count(label) == 1
    assert "validated rows/s (target >= 1,000,000)" in text
    assert (tmp_path / "predictions-1000.parquet").exists()  # both files are written


def test_the_scaling_benchmark_times_a_size_and_draws_the_chart(tmp_path):
    lines: list[str] = []
    chart = tmp_path / "scaling.svg"
    scaling.benchmark((5_000,), repeat=1, log=lines.append, folder=tmp_path, chart=chart)
    figures = json.loads((tmp_path / "scaling.json").read_text())
    assert [f["predictions"] for f in figures] == [5_000]
    assert figures[0]["seconds"] > 0 and figures[0]["peak"] > 0
    assert chart.read_text().startswith("<svg")
    assert any("the largest peak is 1.00x the smallest" in line for line in lines)
