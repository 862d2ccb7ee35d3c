"""The app on Spark in a real browser, over an experiment a team keeps in its own tables
(an assignments and a wide outcomes table, read in place through the sources file): the
Overview and the Experiments page show the DuckDB readout's numbers, computed here by
impact.analysis on the same rows, and no page shows an exception box.

One study and no model keep it to a few dozen Spark statements; the demo's portfolio is a
few hundred, minutes on a busy machine (the README's Running on Spark)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from streamlit_server import browser_page

from impact.config import ENGINE_ENV, SPARK_CONF_ENV, SPARK_MASTER_ENV, SPARK_SOURCES_ENV
from impact.serve import serve
from tests.spark_support import SPARK_TEST_CONF, skip_without_spark

pytestmark = [pytest.mark.spark, pytest.mark.browser]
START = datetime(2026, 9, 1, tzinfo=UTC)
DEFINITIONS = """metrics:
  revenue:
    dataset: sales
    column: revenue
    kind: revenue
    unit: currency
studies:
  checkout:
    kind: ab
    arms: [control, treat]
    control_arm: control
    planned_split: {control: 0.5, treat: 0.5}
    primary_metric: revenue
    window_days: 7
"""


def _tables(folder):
    """400 customers, half treated (+2.0 revenue), revenue before assignment for CUPED."""
    rng = np.random.default_rng(3)
    units = [f"c{i}" for i in range(400)]
    arms = ["treat" if i % 2 else "control" for i in range(400)]
    when = [START + timedelta(minutes=7 * i) for i in range(400)]
    assign = pd.DataFrame({"customer_id": units, "variant": arms, "ts": when})
    rows = []
    for unit, arm, at in zip(units, arms, when, strict=True):
        base = rng.gamma(2.0, 5.0)
        for day in (-3, 1, 4):
            lift = 2.0 if arm == "treat" and day > 0 else 0.0
            rows.append((unit, at + timedelta(days=day), base + lift + rng.normal(0, 3)))
    outcomes = pd.DataFrame(rows, columns=["customer_id", "day", "revenue"])
    assign.to_parquet(folder / "assign.parquet")
    outcomes.to_parquet(folder / "sales.parquet")
    return assign, outcomes


def _duckdb_copy(store, folder):
    """The same rows in the DuckDB warehouse's long layout."""
    with store.warehouse.transaction() as tx:
        for dataset, name, kind in (("a", "checkout", "assignments"), ("o", "sales", "outcomes")):
            tx.execute(
                "INSERT INTO loads VALUES (?, ?, ?, 'f', '', 0, '{}', 'x', ?)",
                [dataset, name, kind, START],
            )
        tx.execute(
            "INSERT INTO assignments SELECT 'a', 'checkout', customer_id, variant, ts "
            "FROM read_parquet(?)",
            [str(folder / "assign.parquet")],
        )
        tx.execute(
            "INSERT INTO outcomes SELECT 'o', customer_id, day, 'revenue', revenue "
            "FROM read_parquet(?)",
            [str(folder / "sales.parquet")],
        )


@pytest.fixture
def spark_server(store, tmp_path):
    """The experiment's tables on DuckDB (`store`) and, as Parquet, served on Spark with the
    same catalog (definitions applied once)."""
    skip_without_spark()
    if shutil.which("chromium") is None:
        pytest.skip("needs Chromium (apt-get install chromium)")
    from impact.analysis.definitions import define_file

    _tables(tmp_path)
    _duckdb_copy(store, tmp_path)
    (tmp_path / "defs.yaml").write_text(DEFINITIONS)
    define_file(store, tmp_path / "defs.yaml")
    spec = {
        "datasets": [
            {
                "name": "checkout",
                "kind": "assignments",
                "path": str(tmp_path / "assign.parquet"),
                "columns": {"unit_id": "customer_id", "arm": "variant", "assigned_at": "ts"},
                "values": {"experiment": "checkout"},
            },
            {
                "name": "sales",
                "kind": "outcomes",
                "path": str(tmp_path / "sales.parquet"),
                "columns": {"unit_id": "customer_id", "observed_at": "day"},
                "metrics": ["revenue"],
            },
        ]
    }
    (tmp_path / "sources.json").write_text(json.dumps(spec))
    env = {
        ENGINE_ENV: "spark",
        SPARK_MASTER_ENV: "local[1]",
        SPARK_SOURCES_ENV: str(tmp_path / "sources.json"),
        SPARK_CONF_ENV: json.dumps(SPARK_TEST_CONF),
    }
    with serve(tmp_path, env) as base:  # IMPACT_DATA_DIR: the store fixture's
        yield base


def no_exception(page, where: str) -> None:
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, f"{where}: {boxes.first.inner_text()}"


def test_the_overview_and_an_experiment_on_spark_show_the_duckdb_numbers(spark_server, store):
    from impact.analysis.ab import experiment_readout
    from impact.analysis.model_cards import model_cards

    with browser_page() as page:
        page.set_viewport_size({"width": 1024, "height": 1400})
        page.goto(spark_server)  # the server starts Spark: meanwhile DuckDB's numbers here
        [card] = model_cards(store).cards
        counts = experiment_readout(store, "checkout").readout.counts
        assert "raises revenue" in card.sentence, card.sentence  # a real effect to compare
        page.get_by_text("Models and studies").wait_for(timeout=240_000)
        no_exception(page, "Overview")
        main = page.locator("[data-testid='stMain']")
        assert card.sentence.split(" (")[0] in main.inner_text()  # the effect, in words
        effect = card.sentence.split("(")[1].split(")")[0]  # its interval, as on DuckDB
        assert effect in main.inner_text(), effect
        page.get_by_text("the facts are read where they are").wait_for(timeout=120_000)
        assert "Latest uploads" not in main.inner_text()  # nothing is uploaded on Spark

        page.goto(f"{spark_server}/experiments?study=checkout")
        tile = page.get_by_test_id("stMetric").filter(has_text="Units in control")
        tile.first.wait_for(timeout=120_000)
        no_exception(page, "Experiments")
        assert f"{counts['control']:,}" in tile.first.inner_text()
        assert (
            "passed" in page.get_by_test_id("stMetric").filter(has_text="Sample ratio").inner_text()
        )
