"""A study's stored readout settings (alpha, tuning, power, correction) reach the CLI, the
readout and the Overview's verdict alike; flags override them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.cli import app
from impact.ingest import ingest_file

T0 = pd.Timestamp("2026-02-01", tz="UTC")


@pytest.fixture
def sequential_study(store, tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    units = pd.DataFrame(
        {
            "experiment": "seq",
            "unit_id": [f"u{i}" for i in range(n)],
            "arm": rng.choice(["control", "v1"], n),
            "assigned_at": T0,
        }
    )
    outcomes = pd.DataFrame(
        {
            "unit_id": units.unit_id,
            "observed_at": T0 + pd.Timedelta(days=1),
            "revenue": rng.normal(10, 2, n),
        }
    )
    store.catalog.save_study(
        StudyBase(
            name="seq",
            kind="ab",
            arms=["control", "v1"],
            control_arm="control",
            primary_metric="revenue",
            planned_split={"control": 1, "v1": 1},
            settings={"sequential": True, "tuning_n": 1234, "power": 0.9, "alpha": 0.1},
        )
    )
    store.catalog.save_metric(
        MetricDefinitionBase(name="revenue", dataset="shop", column="revenue", aggregation="sum")
    )
    units.to_parquet(tmp_path / "a.parquet")
    outcomes.to_parquet(tmp_path / "o.parquet")
    ingest_file(store, tmp_path / "a.parquet", "assignments")
    ingest_file(store, tmp_path / "o.parquet", "outcomes", dataset="shop")
    return store


def test_stored_tuning_power_and_alpha_reach_the_cli_and_flags_override(sequential_study):
    [row] = json.loads(CliRunner().invoke(app, ["ab", "seq", "--json"]).stdout)
    assert "ρ tuned at 1,234" in row["method"] and row["alpha"] == 0.1
    assert row["power"] == 0.9 and row["mde_sequential"]
    flags = ["ab", "seq", "--tuning", "999", "--power", "0.7", "--target", "0.5", "--json"]
    [over] = json.loads(CliRunner().invoke(app, flags).stdout)
    assert "ρ tuned at 999" in over["method"] and over["power"] == 0.7
    assert over["target_effect"] == 0.5 and over["units_needed"] > 0


def test_stored_tuning_reaches_the_readout_the_overview_uses(sequential_study):
    from impact.analysis.ab import experiment_readout
    from impact.analysis.verdict import headlines

    study = sequential_study.catalog.study("seq")
    # as impact.analysis.verdict.headlines asks for it: no options, the study's own
    readout = experiment_readout(sequential_study, study, metrics=["revenue"]).readout
    assert "ρ tuned at 1,234" in readout.estimates[0].method
    assert readout.estimates[0].alpha == 0.1 and readout.power[0].power == 0.9
    assert headlines(sequential_study)[0].text.startswith("seq")


def test_the_experiments_page_starts_from_the_stored_settings_and_changes_them(
    sequential_study,
):
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=60).run()
    at.switch_page("pages/experiments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table, power = at.dataframe[0].value, at.dataframe[1].value
    assert table["method"].str.contains("ρ tuned at 1,234").all()
    assert "detectable now (90% power)" in power.columns
    [tuning] = [n for n in at.number_input if n.label.startswith("Always-valid")]
    tuning.set_value(999).run()
    [slider] = [s for s in at.slider if s.label == "Power level"]
    slider.set_value(0.8).run()
    table, power = at.dataframe[0].value, at.dataframe[1].value
    assert table["method"].str.contains("ρ tuned at 999").all()
    assert "detectable now (80% power)" in power.columns
    overview = at.switch_page("pages/overview.py").run()
    assert not overview.exception
