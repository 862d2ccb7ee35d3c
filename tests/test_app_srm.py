"""A sample ratio mismatch blocks the Experiments page's results with a clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.ingest import ingest_file

APP = str(Path(__file__).parents[1] / "app.py")


def test_srm_is_shown_above_the_results(store, tmp_path):
    rng = np.random.default_rng(0)
    n_control, n_treatment = 700, 300  # planned 50/50: χ² p ≈ 1e-36
    units = pd.DataFrame(
        {
            "experiment": "skewed",
            "unit_id": [f"u{i}" for i in range(1000)],
            "arm": ["control"] * n_control + ["treatment"] * n_treatment,
            "assigned_at": pd.Timestamp("2026-03-01", tz="UTC"),
        }
    )
    outcomes = pd.DataFrame(
        {
            "unit_id": units.unit_id,
            "observed_at": pd.Timestamp("2026-03-05", tz="UTC"),
            "revenue": rng.gamma(2, 10, 1000).round(2),
        }
    )
    units.to_csv(tmp_path / "a.csv", index=False)
    outcomes.to_csv(tmp_path / "o.csv", index=False)
    store.catalog.save_study(
        StudyBase(
            name="skewed",
            kind="ab",
            arms=["control", "treatment"],
            control_arm="control",
            primary_metric="revenue",
            planned_split={"control": 0.5, "treatment": 0.5},
        )
    )
    store.catalog.save_metric(MetricDefinitionBase(name="revenue", dataset="o", column="revenue"))
    ingest_file(store, tmp_path / "a.csv", "assignments")
    ingest_file(store, tmp_path / "o.csv", "outcomes")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/experiments.py").run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("**Do not trust these results yet.** Sample ratio mismatch")
    assert "control has 700 units where 500 were expected" in error
    assert {m.label: m.value for m in at.metric}["Sample ratio check"] == "failed"
    overview = at.switch_page("pages/overview.py").run()
    assert any("Sample ratio mismatch" in e.value for e in overview.error)
