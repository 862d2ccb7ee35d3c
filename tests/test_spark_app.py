"""The app on Spark (IMPACT_ENGINE=spark) over tables a team already has, driven with
AppTest: the Data page says plainly that nothing is uploaded there and lists the sources'
datasets with their readiness, instead of an upload form that cannot store anything."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.config import (
    CATALOG_ENV,
    DATA_DIR_ENV,
    ENGINE_ENV,
    SPARK_CONF_ENV,
    SPARK_MASTER_ENV,
    SPARK_SOURCES_ENV,
    WAREHOUSE_ENV,
    settings,
)
from impact.errors import InvalidInput
from tests.spark_support import SPARK_TEST_CONF, skip_without_spark
from tests.test_spark_sources import _duckdb_copy, _user_tables

APP = str(Path(__file__).parents[1] / "app.py")


@pytest.fixture
def spark_app(store, tmp_path, monkeypatch):
    """The app on Spark over an assignments and a wide outcomes table (no upload at all);
    `store` holds the same rows on DuckDB."""
    skip_without_spark()
    _duckdb_copy(store, *_user_tables(tmp_path))
    spec = {
        "datasets": [
            {
                "name": "exp",
                "kind": "assignments",
                "path": str(tmp_path / "assign.parquet"),
                "columns": {"unit_id": "customer_id", "arm": "variant", "assigned_at": "ts"},
                "values": {"experiment": "exp"},
            },
            {
                "name": "sales",
                "kind": "outcomes",
                "path": str(tmp_path / "sales.parquet"),
                "columns": {"unit_id": "customer_id", "observed_at": "day"},
                "metrics": ["revenue", "visits"],
            },
        ]
    }
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps(spec))
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    monkeypatch.setenv(ENGINE_ENV, "spark")
    monkeypatch.setenv(SPARK_MASTER_ENV, "local[1]")
    monkeypatch.setenv(SPARK_SOURCES_ENV, str(sources))
    monkeypatch.setenv(SPARK_CONF_ENV, json.dumps(SPARK_TEST_CONF))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=300).run()  # a loaded machine: minutes
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.spark
def test_the_data_page_on_spark_lists_the_sources_and_offers_no_upload(spark_app, store, tmp_path):
    from impact.analysis.readiness import dataset_readiness, readiness_table

    at = spark_app.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    notice = " ".join(i.value for i in at.info)
    assert "Impact only reads them, so there is no upload or delete here" in notice
    assert "impact --engine spark sources" in notice
    assert not at.get("file_uploader")
    assert "Validate and store" not in [b.label for b in at.button]
    assert "Delete this upload …" not in [b.label for b in at.button]

    listed = next(d.value for d in at.dataframe if "source" in d.value.columns)
    assert sorted(zip(listed["dataset"], listed["kind"], strict=True)) == [
        ("exp", "assignments"),
        ("sales", "outcomes"),
    ]
    where = dict(zip(listed["dataset"], listed["source"], strict=True))
    assert where["sales"] == f"parquet at {tmp_path / 'sales.parquet'}"
    ready = next(d.value for d in at.dataframe if "findings" in d.value.columns)
    # The same rows on DuckDB: the same readiness
    expected = readiness_table(
        [
            dataset_readiness(store, "exp", "assignments"),
            dataset_readiness(store, "sales", "outcomes"),
        ]
    )
    # (the age moves with the clock; empty label columns show as "–")
    same = [c for c in expected.columns if not c.startswith(("age", "label"))]
    pd.testing.assert_frame_equal(
        ready[same].reset_index(drop=True), expected[same], check_dtype=False
    )
    assert ready["findings"].str.len().sum() > 0  # old data: stale, said on both


@pytest.mark.spark
def test_a_page_on_spark_without_studies_says_where_the_facts_come_from(spark_app):
    shown = [i.value for i in spark_app.info]
    assert any("Spark sources file" in text for text in shown), shown
    assert not any("upload your own files" in text for text in shown), shown


def test_spark_settings_are_a_json_object(monkeypatch):
    monkeypatch.setenv(SPARK_CONF_ENV, '{"spark.sql.shuffle.partitions": 4}')
    assert settings().spark_conf == {"spark.sql.shuffle.partitions": "4"}
    monkeypatch.setenv(SPARK_CONF_ENV, "spark.sql.shuffle.partitions=4")
    with pytest.raises(InvalidInput, match="IMPACT_SPARK_CONF must be a JSON object"):
        settings()
