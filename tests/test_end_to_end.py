"""The app end to end in a real browser, as an executive and an analyst use it: every page
through the sidebar, a filter change, an upload and the board report's downloads, with no
exception box and no browser console error anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit_server import browser_page

from impact.serve import serve

PAGES = ["Experiments", "Rollouts", "Model health", "Data", "Metrics", "Overview"]
SALES = "unit_id,observed_at,spend\nnew-1,2026-10-01,10\nnew-2,2026-10-01,3\n"


@pytest.fixture
def demo_server(tmp_path):
    env = {"IMPACT_DATA_DIR": str(tmp_path / "data"), "IMPACT_ROLE": "analyst"}
    demo = [sys.executable, "-c", "from impact.cli import app; app()"]
    demo += ["demo", "--predictions", "3000"]
    subprocess.run(demo, env={**os.environ, **env, "IMPACT_ROLE": "admin"}, check=True)
    with serve(tmp_path, env) as base:
        yield base


def _no_trouble(page, errors: list[str], where: str) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, where
    assert not errors, f"{where}: {errors}"


@pytest.mark.browser
def test_every_page_a_filter_an_upload_and_the_report(demo_server, tmp_path):
    with browser_page() as page:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_viewport_size({"width": 1024, "height": 900})
        page.goto(demo_server)
        page.get_by_text("What the AI portfolio is worth").wait_for(timeout=60_000)
        _no_trouble(page, errors, "Overview")

        for title in PAGES:
            page.get_by_role("link", name=title, exact=True).click()
            heading = "Impact overview" if title == "Overview" else title
            page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            _no_trouble(page, errors, title)

        # A filter: one business unit; the total shrinks to its lines.
        total = page.get_by_test_id("stMetric").filter(has_text="Value per year (projected)")
        before = total.inner_text()
        box = page.get_by_test_id("stMultiSelect").filter(has_text="Business unit")
        box.locator("input").click()
        page.get_by_role("option").filter(has_text="Risk").first.click()
        page.keyboard.press("Escape")
        page.wait_for_function(
            "b => !document.body.innerText.includes(b)", arg=before.splitlines()[-1]
        )
        _no_trouble(page, errors, "Overview, filtered")

        # The board report, as an executive sends it.
        page.get_by_role("button", name="Build the board report").click()
        with page.expect_download(timeout=120_000) as html:
            page.get_by_role("button", name="Download HTML").click()
        assert "Impact board report" in Path(html.value.path()).read_text(encoding="utf-8")
        with page.expect_download(timeout=60_000) as pdf:
            page.get_by_role("button", name="Download PDF").click()
        assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
        _no_trouble(page, errors, "Board report")

        # An upload, as an analyst adds outcomes.
        page.get_by_role("link", name="Data", exact=True).click()
        page.get_by_text("What the file holds").wait_for(timeout=30_000)
        box = page.get_by_test_id("stSelectbox").filter(has_text="What the file holds")
        box.locator("input").click()
        page.get_by_role("option").filter(has_text="outcomes —").click()
        path = tmp_path / "spend.csv"
        path.write_text(SALES)
        page.locator("input[type='file']").set_input_files(str(path))
        page.get_by_text("spend.csv").first.wait_for(timeout=10_000)
        page.get_by_text("Store rows for units no study knows yet").click()
        page.get_by_role("button", name="Validate and store").click()
        page.get_by_text("Stored 2 rows as dataset").wait_for(timeout=30_000)
        _no_trouble(page, errors, "Data, after the upload")
