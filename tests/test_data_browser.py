"""The Data page in a real browser: the report survives its own download, and an upload is
deleted after its confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit_server import browser_page, serve

BROKEN = "study,unit_id,treated_at\nroll,r1,2026-03-02\nroll,r1,not a date\n"
SALES = "unit_id,observed_at,revenue\nu1,2026-03-01,10\nu2,2026-03-01,3\n"


@pytest.fixture
def server(tmp_path):
    env = {"IMPACT_DATA_DIR": str(tmp_path / "data"), "IMPACT_ROLE": "admin"}
    with serve(tmp_path, env) as base:
        yield base


def _upload(page, tmp_path, kind: str, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    page.get_by_text("What the file holds").wait_for(timeout=20_000)
    box = page.get_by_test_id("stSelectbox").filter(has_text="What the file holds")
    option = page.get_by_role("option").filter(has_text=f"{kind} —")
    box.scroll_into_view_if_needed()
    box.locator("input").click()
    option.wait_for(timeout=10_000)
    option.click()
    required = {"rollouts": "study, unit_id, treated_at", "outcomes": "unit_id, observed_at"}
    page.get_by_text(f"Required columns: {required[kind]}.").wait_for(timeout=10_000)
    page.locator("input[type='file']").set_input_files(str(path))
    page.get_by_text(name).first.wait_for(timeout=10_000)
    if kind == "outcomes":
        page.get_by_text("Store rows for units no study knows yet").click()
    page.get_by_role("button", name="Validate and store").click()


@pytest.mark.browser
def test_the_report_survives_its_download_and_an_upload_is_deleted(server, tmp_path):
    with browser_page() as page:
        page.goto(f"{server}/data")
        _upload(page, tmp_path, "rollouts", "broken.csv", BROKEN)
        page.get_by_text("broken.csv was not stored.").wait_for(timeout=20_000)
        tables = page.locator("[data-testid='stDataFrame']")
        before = tables.count()
        assert before >= 2
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the failing rows (CSV)").click()
        assert "not a date" in Path(download.value.path()).read_text(encoding="utf-8")
        page.wait_for_timeout(1500)  # a rerun, if the click caused one, has drawn by now
        assert page.get_by_text("broken.csv was not stored.").count() == 1
        assert tables.count() == before

        _upload(page, tmp_path, "outcomes", "sales.csv", SALES)
        page.get_by_text("Stored 2 rows as dataset").wait_for(timeout=20_000)
        page.get_by_role("button", name="Delete this upload …").click()
        page.get_by_text("Delete dataset sales (outcomes, 2 rows").wait_for(timeout=10_000)
        page.get_by_role("button", name="Delete", exact=True).click()
        page.get_by_text("Deleted dataset sales (2 rows).").wait_for(timeout=20_000)
