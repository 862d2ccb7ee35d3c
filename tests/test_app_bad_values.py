"""Every page survives any value already stored (issue 14, item 7): a date before the
common era, stored by an older Impact whose year rule read it as 2026, broke every page in
the sidebar with a DateParseError."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.config import CATALOG_ENV, WAREHOUSE_ENV

APP = str(Path(__file__).parents[1] / "app.py")
PAGES = ["overview", "experiments", "rollouts", "model_health", "data", "metrics"]
BC = "TIMESTAMPTZ '2026-03-01 (BC)'"


@pytest.fixture(scope="module")
def bad_store(demo_store, tmp_path_factory):
    from impact.catalog import Catalog
    from impact.store import Store
    from impact.warehouse import Warehouse

    root = tmp_path_factory.mktemp("bad")
    shutil.copyfile(demo_store.warehouse.path.resolve(), root / "impact.duckdb")
    with (
        sqlite3.connect(demo_store.catalog.url.removeprefix("sqlite:///")) as source,
        sqlite3.connect(root / "c.sqlite") as copy,
    ):
        source.backup(copy)  # with what its write-ahead log still holds
    store = Store(Warehouse(root / "impact.duckdb"), Catalog(f"sqlite:///{root}/c.sqlite"))
    with store.warehouse.transaction() as tx:
        for table, column in (
            ("predictions", "predicted_at"),
            ("predictions", "labeled_at"),
            ("outcomes", "observed_at"),
            ("assignments", "assigned_at"),
            ("rollouts", "treated_at"),
        ):
            tx.execute(
                f"UPDATE {table} SET {column} = {BC} "
                f"WHERE rowid = (SELECT min(rowid) FROM {table} WHERE {column} IS NOT NULL)"
            )
    return store


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_a_bc_date_stored(bad_store, monkeypatch, page):
    monkeypatch.setenv(WAREHOUSE_ENV, str(bad_store.warehouse.path))
    monkeypatch.setenv(CATALOG_ENV, bad_store.catalog.url)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
