"""`python -m bench pages` on the small demo, each step once: the harness still finds every
page and widget and reads the server's finished runs. No timing is asserted (the figures
come from `make bench` on the 10M demo)."""

from __future__ import annotations

import shutil

import pytest

from bench import pages

STEPS = {f"page {title}" for _, title, _ in pages.PAGES} | {
    "Overview business unit",
    "Experiments CUPED toggle",
    "Model health day period",
}


@pytest.fixture
def tiny(demo_store, monkeypatch):
    monkeypatch.setenv(pages.TINY_ENV, "1")
    return {
        "IMPACT_WAREHOUSE": str(demo_store.warehouse.path),
        "IMPACT_CATALOG_URL": demo_store.catalog.url,
        "IMPACT_ROLE": "viewer",  # the demo store is shared: the app must not write to it
    }


def _check(rows, side: str, steps: set[str]) -> None:
    found = {step: cold for s, step, cold, _ in rows if s == side}
    assert steps <= set(found), steps - set(found)
    assert all(cold is not None and cold > 0 for cold in found.values()), found


def test_the_apptest_side_times_every_page_and_widget_change(tiny):
    rows = pages.measure(tiny, log=lambda *_: None, sides=("apptest",))
    _check(rows, "apptest", STEPS | {"date range (Overview)", "date range (Model health)"})
    _check(rows, "first", {"page Overview (first view after a data change)"})


@pytest.mark.browser
def test_the_browser_side_times_every_page_and_widget_change(tiny):
    pytest.importorskip("playwright.sync_api")
    if shutil.which("chromium") is None:
        pytest.skip("needs Chromium (apt-get install chromium)")
    rows = pages.measure(tiny, log=lambda *_: None, sides=("browser",))
    _check(rows, "browser", STEPS)
