"""A page that cannot read the warehouse says so in plain words and retries; no traceback
(issue 14, item 10)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.config import CATALOG_ENV, DATA_DIR_ENV, WAREHOUSE_ENV
from impact.errors import WarehouseUnavailable
from impact.warehouse import Warehouse

APP = str(Path(__file__).parents[1] / "app.py")


def _app(demo_store, monkeypatch, failures: int):
    import impact.ui

    real = Warehouse._open_current
    left = {"n": failures}

    def flaky(self):
        if left["n"] > 0:
            left["n"] -= 1
            raise WarehouseUnavailable("Cannot open the warehouse: simulated")
        return real(self)

    monkeypatch.setattr(Warehouse, "_open_current", flaky)
    # Results kept from earlier tests' reads would be served without opening the file.
    monkeypatch.setenv("IMPACT_RESULT_CACHE", "0")
    # Not time.sleep itself: that is global, and threads left by earlier tests that poll with
    # it would spin (this test took 60 s in a full run, 4 s alone).
    monkeypatch.setattr(impact.ui, "RETRY_PAUSE", 0.0)
    # The rerun is recorded, not run: AppTest looping on st.rerun with no pause could spin
    # (a full run hung here once); each at.run() below is the next rerun.
    reruns = []
    monkeypatch.setattr(impact.ui.st, "rerun", lambda: reruns.append(1))
    monkeypatch.setenv(DATA_DIR_ENV, str(demo_store.warehouse.path.parent))
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=120), left, reruns


def test_a_page_that_cannot_read_retries_and_then_shows_the_data(demo_store, monkeypatch):
    at, left, reruns = _app(demo_store, monkeypatch, failures=1)
    at.run()
    assert not at.exception and reruns == [1]  # the failed read asked for a rerun
    assert any("Retrying in a second" in i.value for i in at.info)
    assert left["n"] == 0  # the next run reads the warehouse as usual


def test_a_warehouse_that_stays_unreadable_says_so_without_a_traceback(demo_store, monkeypatch):
    at, _, reruns = _app(demo_store, monkeypatch, failures=10_000)
    for _ in range(11):
        at.run()
        assert not at.exception
    assert len(reruns) == 10  # then it stops retrying and asks for a reload
    assert any("Reload the page to try again" in w.value for w in at.warning)
    messages = " ".join(x.value for x in [*at.info, *at.warning])
    assert "Cannot open the warehouse: simulated" in messages
    assert "Traceback" not in messages
