"""Shared fixtures. Every test that touches storage gets its own temporary databases."""

from __future__ import annotations

import pytest

from impact.config import CATALOG_ENV, DATA_DIR_ENV, WAREHOUSE_ENV
from impact.store import Store, open_store


@pytest.fixture
def store(tmp_path, monkeypatch) -> Store:
    """An empty warehouse and catalog under tmp_path, also used by open_store() and the CLI."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    return open_store()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Store:
    """The default demo portfolio, loaded once per session into its own databases.

    Shared by many tests: read from it, never write to it.
    """
    from impact.catalog import Catalog
    from impact.demo import load_demo
    from impact.warehouse import Warehouse

    root = tmp_path_factory.mktemp("demo")
    demo = Store(Warehouse(root / "impact.duckdb"), Catalog(f"sqlite:///{root}/catalog.sqlite"))
    load_demo(demo)
    return demo


@pytest.fixture(scope="session")
def small_demo_files(tmp_path_factory):
    """A 3,000-prediction demo made once by the CLI (`impact demo --predictions 3000`), for
    tests that change it: each gets a copy (small_demo), not a load of its own."""
    from typer.testing import CliRunner

    from impact.cli import app

    data = tmp_path_factory.mktemp("small-demo") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_DIR_ENV, str(data))
        mp.delenv(WAREHOUSE_ENV, raising=False)
        mp.delenv(CATALOG_ENV, raising=False)
        result = CliRunner().invoke(app, ["demo", "--predictions", "3000"])
    assert result.exit_code == 0, result.output
    return data


@pytest.fixture(scope="session")
def small_demo_store(small_demo_files) -> Store:
    """The small demo itself, read-only (the Spark tests: every readout's code path on a
    sixteenth of the rows). Read from it, never write to it."""
    from impact.catalog import Catalog
    from impact.warehouse import Warehouse

    catalog = Catalog(f"sqlite:///{small_demo_files}/catalog.sqlite")
    return Store(Warehouse(small_demo_files / "impact.duckdb"), catalog)


@pytest.fixture
def small_demo(small_demo_files, tmp_path, monkeypatch) -> Store:
    """A private, writable copy of the small demo, also used by open_store() and the CLI."""
    import shutil

    data = tmp_path / "data"
    # The warehouse link is relative (impact.duckdb -> impact.duckdb.versions/…): copied as
    # a link, it points into the copy.
    shutil.copytree(small_demo_files, data, symlinks=True)
    monkeypatch.setenv(DATA_DIR_ENV, str(data))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    return open_store()


@pytest.fixture
def demo_app(demo_store, monkeypatch):
    """The app (router and first page) running on the demo store, fresh caches."""
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(DATA_DIR_ENV, str(demo_store.warehouse.path.parent))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    st.cache_resource.clear()
    # Page caches are kept: their keys (ui.generation) carry the warehouse's path and data
    # version, and the demo store is read-only, so every test of it may share them (each
    # cold Overview costs seconds).
    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=120).run()
    assert not at.exception
    return at
