"""The Data page in a real browser: the report survives its own download, and an upload is
deleted after its confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit_server import browser_page

from impact.serve import serve

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
    required = {
        "rollouts": "study, unit_id, treated_at",
        "outcomes": "unit_id, observed_at",
        "assignments": "experiment, unit_id, arm, assigned_at",
    }
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


def _pick(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.scroll_into_view_if_needed()
    box.locator("input").click()
    choice = page.get_by_role("option").filter(has_text=option).first
    choice.wait_for(timeout=10_000)
    choice.click()


@pytest.fixture
def analyst_server(tmp_path):
    env = {"IMPACT_DATA_DIR": str(tmp_path / "data"), "IMPACT_ROLE": "analyst"}
    with serve(tmp_path, env) as base:
        yield base


@pytest.mark.browser
def test_own_experiment_uploaded_and_defined_in_the_pages_reads_out_as_welch(
    analyst_server, tmp_path
):
    """The own-data path through the pages only: upload assignments and outcomes, define
    the metric and finish the declared experiment in the forms, read the verdict."""
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(7)
    n = 200
    units = [f"p{i}" for i in range(2 * n)]
    revenue = np.r_[rng.normal(50, 10, n), rng.normal(55, 10, n)].round(2)
    assign = "experiment,unit_id,arm,assigned_at\n" + "".join(
        f"pricing-test,{u},{'control' if i < n else 'new-price'},2026-03-01T00:00:00Z\n"
        for i, u in enumerate(units)
    )
    sales = "unit_id,observed_at,revenue\n" + "".join(
        f"{u},2026-03-04T00:00:00Z,{r}\n" for u, r in zip(units, revenue, strict=True)
    )
    with browser_page() as page:
        # A fresh server's first visitor opens a page's address: app.py still routes it
        # (the sidebar's page titles and filters), not Streamlit's bare pages/ listing.
        page.goto(f"{analyst_server}/data")
        page.get_by_role("link", name="Overview", exact=True).wait_for(timeout=30_000)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Date range", exact=True).wait_for(timeout=30_000)
        _upload(page, tmp_path, "assignments", "pricing.csv", assign)
        page.get_by_text(f"Stored {2 * n} rows as dataset").wait_for(timeout=30_000)
        page.get_by_text("Finish the experiment pricing-test").wait_for(timeout=10_000)
        _upload(page, tmp_path, "outcomes", "pricing-sales.csv", sales)
        page.get_by_text(f"Stored {2 * n} rows as dataset").wait_for(timeout=30_000)

        page.get_by_text("Define a metric on pricing-sales").wait_for(timeout=10_000)
        name = page.get_by_role("textbox", name="Name", exact=True)
        name.fill("revenue_7d")
        name.press("Enter")
        page.get_by_text("Changes no figure on the Overview").wait_for(timeout=10_000)
        page.locator("button:enabled", has_text="Save metric").click()
        page.get_by_text("Saved metric revenue_7d as version 1.").wait_for(timeout=20_000)

        _pick(page, "Primary metric", "revenue_7d")
        page.get_by_text("pricing-test's verdict").wait_for(timeout=10_000)
        page.locator("button:enabled", has_text="Save study").click()
        page.get_by_text("Saved study pricing-test as version 2.").wait_for(timeout=20_000)
        page.get_by_text("See the readout of pricing-test").click()
        page.get_by_text("Study definition").wait_for(timeout=20_000)
        assert page.locator("[data-testid='stException']").count() == 0

        page.goto(analyst_server)
        effect = revenue[n:].mean() - revenue[:n].mean()
        welch = stats.ttest_ind(revenue[n:], revenue[:n], equal_var=False)
        assert welch.pvalue < 0.001
        said = f"pricing-test: new-price raises revenue_7d by {effect:,.2f}"
        page.get_by_text(said).wait_for(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
