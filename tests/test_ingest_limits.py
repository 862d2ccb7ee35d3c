"""Issue 14, item 12: small files that cost minutes and gigabytes are refused early.

Each over-limit file is refused from what is cheap to know (a zip directory, a header line,
a Parquet footer, a count that stops one row past the limit), and the refusal is measured
in a fresh process: its wall time and how far its peak resident memory grew. A fresh
process, because ru_maxrss is a high-water mark: in the test process an earlier test's
peak would hide this one's.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import impact.ingest.read as read_module
from impact.config import settings
from impact.errors import InvalidInput
from impact.ingest import ingest_file, validate_file

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("bombs", ROOT / "tests" / "badfiles" / "bombs.py")
bombs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bombs)

OUTCOME_HEADER = ["unit_id", "observed_at", "revenue"]
PROBE = """
import json, resource, sys, time
from impact.errors import ImpactError
from impact.ingest import ingest_file
from impact.store import open_store
store = open_store()
store.warehouse.scalar("SELECT 1")  # the schema exists: only the upload is measured
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    ingest_file(store, sys.argv[1], sys.argv[2], allow_unknown_units=True)
    said = None
except ImpactError as exc:
    said = str(exc)
seconds = time.perf_counter() - start
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"seconds": seconds, "mb": grown, "said": said}))
"""


def refusal(path: Path, kind: str = "outcomes", **env: str) -> dict:
    """Upload `path` in a fresh process: seconds, peak RSS growth (MB) and the message."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), kind],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_zip_bomb_workbook_is_refused_from_its_directory(store, tmp_path):
    path = tmp_path / "bomb.xlsx"
    unpacked = bombs.zip_bomb(path, OUTCOME_HEADER, ["u1", "2026-03-01", "5"], 8_000_000)
    assert path.stat().st_size < 5 * 2**20 and unpacked > 2**30  # small on disk, 1 GB inside
    assert sum(p.file_size for p in zipfile.ZipFile(path).infolist()) > 2**30
    result = refusal(path)
    assert result["said"] and "zip bomb" in result["said"]
    assert (
        "xl/worksheets/sheet1.xml" in result["said"] and "Export the sheet as CSV" in result["said"]
    )
    assert result["seconds"] < 2 and result["mb"] < 200, result
    assert store.catalog.datasets() == []


def test_the_bomb_generator_makes_real_workbooks_and_small_ones_are_read(store, tmp_path):
    """The same construction under a megabyte unpacked is an ordinary workbook: stored."""
    path = tmp_path / "repeated.xlsx"
    bombs.zip_bomb(path, OUTCOME_HEADER, ["u1", "2026-03-01", "5"], 1)
    # one row repeated is how the bomb is built: accepted as repeats on purpose
    result = ingest_file(
        store, path, "outcomes", allow_unknown_units=True, allow_duplicate_rows=True
    )
    assert result.dataset.rows == bombs.BLOCK_ROWS
    assert store.warehouse.scalar("SELECT sum(value) FROM outcomes") == 5 * bombs.BLOCK_ROWS


def test_a_workbook_over_the_row_limit_is_refused_while_streaming(store, tmp_path, monkeypatch):
    path = tmp_path / "rows.xlsx"
    frame = pd.DataFrame({"unit_id": [f"u{i}" for i in range(60)], "observed_at": "2026-03-01"})
    frame.assign(revenue=1).to_excel(path, index=False)
    monkeypatch.setenv("IMPACT_ROW_LIMIT", "50")

    def parsed_whole(*args, **kwargs):
        raise AssertionError("the sheet was parsed before the row limit was checked")

    monkeypatch.setattr(read_module.pd, "read_excel", parsed_whole)
    with pytest.raises(InvalidInput, match="more than 50 rows, above the limit of 50 rows"):
        ingest_file(store, path, "outcomes", allow_unknown_units=True)
    monkeypatch.undo()
    assert ingest_file(store, path, "outcomes", allow_unknown_units=True).dataset.rows == 60


def test_only_the_chosen_sheet_is_read(store, tmp_path, monkeypatch):
    path = tmp_path / "two.xlsx"
    good = pd.DataFrame({"unit_id": ["u1", "u2"], "observed_at": "2026-03-01", "revenue": 1})
    with pd.ExcelWriter(path) as writer:
        good.to_excel(writer, sheet_name="a", index=False)
        good.to_excel(writer, sheet_name="b", index=False)
    asked = []
    real = pd.read_excel

    def spy(*args, **kwargs):
        asked.append(kwargs.get("sheet_name"))
        return real(*args, **kwargs)

    monkeypatch.setattr(read_module.pd, "read_excel", spy)
    ingest_file(store, path, "outcomes", sheet="b", allow_unknown_units=True)
    assert asked == ["b"]


def test_ten_thousand_columns_are_refused_at_the_header(store, tmp_path):
    path = tmp_path / "wide.csv"
    names = [f"metric_{i}" for i in range(10_000)]
    row = ",".join(["u1", "2026-03-01", *["1"] * (len(names) - 2)])
    path.write_text(",".join(["unit_id", "observed_at", *names[2:]]) + "\n" + (row + "\n") * 20)
    assert 400_000 < path.stat().st_size < 800_000
    result = refusal(path)
    assert result["said"].startswith("wide.csv has 10,000 columns, above the limit of 1,000")
    assert "IMPACT_COLUMN_LIMIT" in result["said"]
    assert result["seconds"] < 2 and result["mb"] < 200, result


def test_the_column_limit_is_a_setting_and_parquet_is_checked_from_its_schema(
    store, tmp_path, monkeypatch
):
    path = tmp_path / "wide.parquet"
    columns = {"unit_id": ["u1"], "observed_at": ["2026-03-01"]}
    columns |= {f"m{i}": [1.0] for i in range(40)}
    pq.write_table(pa.table(columns), path)
    monkeypatch.setenv("IMPACT_COLUMN_LIMIT", "30")
    monkeypatch.setattr(
        read_module.Staging, "read_parquet", lambda *a: pytest.fail("rows read first")
    )
    with pytest.raises(InvalidInput, match="42 columns, above the limit of 30 columns"):
        ingest_file(store, path, "outcomes", allow_unknown_units=True)
    with pytest.raises(InvalidInput, match="42 columns"):
        validate_file(store, path, "outcomes")  # the dry run has the same limits
    monkeypatch.setenv("IMPACT_COLUMN_LIMIT", "0")
    with pytest.raises(InvalidInput, match="IMPACT_COLUMN_LIMIT='0' is not a whole number"):
        settings()


def five_million_rows(tmp_path: Path) -> Path:
    path = tmp_path / "long.csv"
    with path.open("wb") as out:
        out.write(b"unit_id,observed_at,revenue\n")
        out.write(b"u,2026-03-01,1\n" * 5_000_000)
    return path


def test_a_five_million_row_csv_is_refused_before_the_parse(store, tmp_path):
    path = five_million_rows(tmp_path)
    assert 60 * 2**20 < path.stat().st_size < 80 * 2**20
    result = refusal(path, IMPACT_ROW_LIMIT="100000")  # the count stops at 100,001 rows
    assert result["said"] == (
        "long.csv has more than 100,000 rows, above the limit of 100,000 rows per upload. "
        "Split the file, or raise IMPACT_ROW_LIMIT."
    )
    # What is left is linear in the file's bytes: its checksum and the UTF-8 scan.
    assert result["seconds"] < 2 and result["mb"] < 200, result


def test_a_five_million_row_parquet_is_refused_from_its_footer(store, tmp_path):
    path = tmp_path / "long.parquet"
    n = 5_000_000
    table = pa.table({"unit_id": pa.array(["u"] * n), "observed_at": ["2026-03-01"] * n})
    pq.write_table(table.append_column("revenue", pa.array([1.0] * n)), path)
    result = refusal(path, IMPACT_ROW_LIMIT="1000000")
    assert result["said"].startswith("long.parquet has 5,000,000 rows, above the limit")
    assert result["seconds"] < 1 and result["mb"] < 100, result


def test_quoted_line_breaks_do_not_count_as_rows(store, tmp_path, monkeypatch):
    """More line breaks than the limit, but fewer rows: counted, then stored."""
    path = tmp_path / "notes.csv"
    path.write_text("unit_id,observed_at,note,revenue\n" + 'u1,2026-03-01,"a\nb\nc",1\n' * 4)
    monkeypatch.setenv("IMPACT_ROW_LIMIT", "4")
    repeats = {"allow_unknown_units": True, "allow_duplicate_rows": True}  # one row, four times
    assert ingest_file(store, path, "outcomes", **repeats).dataset.rows == 4
    path.write_text(path.read_text() + 'u2,2026-03-02,"d",2\n')
    with pytest.raises(InvalidInput, match="more than 4 rows"):
        ingest_file(store, path, "outcomes", dataset="notes-5", allow_unknown_units=True)


def test_the_server_and_the_page_use_the_upload_limit(store, monkeypatch):
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == settings().upload_limit_mb  # the default
    monkeypatch.setenv("IMPACT_UPLOAD_LIMIT_MB", "20.5")
    monkeypatch.setenv("IMPACT_ROLE", "analyst")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    [uploader] = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == math.ceil(20.5)
