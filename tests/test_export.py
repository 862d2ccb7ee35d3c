"""Exports open in spreadsheets as data: formula-like text is inert, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.cli import app
from impact.export import neutralise, to_csv
from impact.ingest import ingest_file

ROOT = Path(__file__).parents[1]
APP = str(ROOT / "app.py")
FORMULAS = [
    '+HYPERLINK("http://evil.example","x")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
    "\tx",
    "\rx",
]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_inert(text: str) -> None:
    """No cell of the CSV would start a formula, unless it is a plain number."""
    for row in cells(text):
        for cell in row:
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                float(cell)  # raises for anything but a number


def test_text_cells_get_an_apostrophe_and_numbers_stay_numbers():
    frame = pd.DataFrame(
        {
            "name": [*FORMULAS, "-12", "plain"],
            "effect": [-0.5, 1.0, -2.0, 3.0, 0.0, -1e-9, -7.25, 2.0],
            "n": range(8),
        }
    )
    text = to_csv(frame)
    assert_inert(text)
    header, *rows = cells(text)
    assert header == ["name", "effect", "n"]
    assert [r[0] for r in rows] == ["'" + f for f in FORMULAS] + ["-12", "plain"]
    assert [float(r[1]) for r in rows] == frame["effect"].tolist()  # still numeric, unquoted
    assert rows[0][1] == "-0.5"
    assert neutralise(-3) == -3 and neutralise(None) is None
    # a user's column name is exported too
    assert cells(to_csv(pd.DataFrame({"=cmd": [1]})))[0] == ["'=cmd"]


@pytest.fixture
def formula_study(store, tmp_path):
    """An A/B study whose arm and metric names are spreadsheet formulas."""
    arms = ["control", FORMULAS[0], FORMULAS[2]]
    n = 300
    units = pd.DataFrame(
        {
            "experiment": "exp",
            "unit_id": [f"u{i}" for i in range(n)],
            "arm": [arms[i % 3] for i in range(n)],
            "assigned_at": "2026-03-01",
        }
    )
    outcomes = pd.DataFrame(
        {
            "unit_id": units.unit_id,
            "observed_at": "2026-03-05",
            "revenue": [float(i % 17) for i in range(n)],
        }
    )
    units.to_csv(tmp_path / "a.csv", index=False)
    outcomes.to_csv(tmp_path / "o.csv", index=False)
    metric = FORMULAS[1]
    store.catalog.save_metric(MetricDefinitionBase(name=metric, dataset="o", column="revenue"))
    store.catalog.save_study(
        StudyBase(
            name="exp",
            kind="ab",
            arms=arms,
            control_arm="control",
            primary_metric=metric,
            planned_split={a: 1 / 3 for a in arms},
        )
    )
    ingest_file(store, tmp_path / "a.csv", "assignments")
    ingest_file(store, tmp_path / "o.csv", "outcomes")
    return store


@pytest.fixture
def downloads(monkeypatch):
    """What every st.download_button of a page run was given."""
    given: list[tuple[str, str, str]] = []

    def spy(label, data, file_name=None, **kwargs):
        given.append((label, data, file_name))

    monkeypatch.setattr(st, "download_button", spy)
    st.cache_resource.clear()
    st.cache_data.clear()
    return given


def test_the_experiment_readout_download_is_inert(formula_study, downloads):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/experiments.py").run()
    assert not at.exception
    [(label, data, file_name)] = downloads
    assert label == "Download results (CSV)" and file_name == "exp-readout.csv"
    assert_inert(data)
    flat = [c for row in cells(data) for c in row]
    assert "'" + FORMULAS[0] in flat and "'" + FORMULAS[2] in flat and "'" + FORMULAS[1] in flat
    header, *rows = cells(data)
    effects = [float(r[header.index("effect")]) for r in rows]  # numbers, some negative
    assert effects and all(isinstance(e, float) for e in effects)


def test_the_rollout_downloads_keep_negative_numbers_numeric(demo_store, downloads, monkeypatch):
    monkeypatch.setenv("IMPACT_DATA_DIR", str(demo_store.warehouse.path.parent))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/rollouts.py").run()
    assert not at.exception
    assert {label for label, _, _ in downloads} >= {
        "Download effect by periods since adoption (CSV)"
    }
    for _, data, _ in downloads:
        assert_inert(data)
    events = next(d for label, d, _ in downloads if "since adoption" in label)
    header, *rows = cells(events)
    leads = [r[header.index("event_time")] for r in rows if r[header.index("event_time")][0] == "-"]
    assert leads and all(float(v) < 0 for v in leads)  # -3 stays -3, not '-3


def test_the_validation_report_download_and_cli_export_are_inert(store, tmp_path):
    bad = tmp_path / "r.csv"
    rows = {"study": "s", "unit_id": ["u1", "u2", "u3", "u4"], "treated_at": FORMULAS[:4]}
    pd.DataFrame(rows).to_csv(bad, index=False)
    report = tmp_path / "failures.csv"
    result = CliRunner().invoke(
        app, ["ingest", str(bad), "--kind", "rollouts", "--report", str(report)]
    )
    assert result.exit_code == 1, result.output
    text = report.read_text()
    assert_inert(text)
    values = [r[3] for r in cells(text)[1:]]  # rule, line, column, value, problem
    assert {"'" + f for f in FORMULAS[:4]} <= set(values), values


def test_pages_export_only_through_the_one_writer():
    for page in (ROOT / "pages").glob("*.py"):
        source = page.read_text()
        assert "st.download_button" not in source and ".to_csv(" not in source, page.name


def test_tables_have_no_toolbar_export_that_would_bypass_the_writer():
    """st.dataframe's own CSV download exports cells unneutralised; the app turns it off
    (Streamlit's client.disableDataExport), so every CSV leaves through ui.download_csv."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
