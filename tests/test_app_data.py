"""The app on an empty store, and the upload flow of the Data page, driven with AppTest.

Each test gets its own empty warehouse and catalog (the `store` fixture points
IMPACT_DATA_DIR at a temporary folder), so uploads here never touch the shared demo.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[1] / "app.py")
PAGES = ["overview", "experiments", "rollouts", "model_health", "data", "metrics"]
ROLLOUT_CSV = b"study,unit_id,treated_at\nroll,r1,2026-03-02\nroll,r2,2026-03-09\nroll,r3,\n"


@pytest.fixture
def app(store):
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stored_datasets(at):
    """The Data page's table of stored uploads (the one with checksums)."""
    return next(d.value for d in at.dataframe if "checksum" in d.value.columns)


def data_page(at: AppTest, kind: str, name: str, content: bytes) -> AppTest:
    """Open the Data page, choose the kind, attach the file and press the button."""
    at.switch_page("pages/data.py").run()
    at.selectbox[0].set_value(kind).run()
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    [button] = [b for b in at.button if b.label == "Validate and store"]
    assert not button.disabled
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_explains_an_empty_store(app, page):
    at = app.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    shown = [i.value for i in at.info]
    if page == "metrics":
        assert "No metric is defined yet." in shown
    else:
        assert any("No data yet" in text and "impact demo" in text for text in shown), shown


def test_an_upload_through_the_data_page_is_stored_and_listed(app, store):
    at = data_page(app, "rollouts", "regions.csv", ROLLOUT_CSV)
    [done] = [s.value for s in at.success]
    assert "Stored 3 rows as dataset **regions**" in done
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 3
    datasets = stored_datasets(at)
    assert datasets[["dataset", "kind", "rows"]].values.tolist() == [["regions", "rollouts", 3]]

    at.switch_page("pages/rollouts.py").run()
    assert not at.exception
    # The page offers the new study; a new session's sidebar has the span of the new data.
    assert next(s for s in at.selectbox if s.label == "Rollout study").options == ["roll"]
    fresh = AppTest.from_file(APP, default_timeout=60).run()
    assert fresh.sidebar.date_input[0].value == (date(2026, 3, 2), date(2026, 3, 9))
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Units"], tiles["Treated"], tiles["Never treated"]) == ("3", "2", "1")
    assert any("no primary metric" in c.value for c in at.caption)
    units = at.dataframe[-1].value
    assert units["treated_at"].tolist() == ["2026-03-02", "2026-03-09", "never"]


def test_a_broken_upload_shows_the_report_and_stores_nothing(app, store):
    before = store.warehouse.table_checksums()
    broken = b"study,unit_id,treated_at\nroll,r1,2026-03-02\nroll,r1,not a date\n"
    at = data_page(app, "rollouts", "broken.csv", broken)
    [message] = [e.value for e in at.error]
    assert "broken.csv was not stored" in message and "Nothing changed" in message
    frames = [d.value for d in at.dataframe]
    [rules] = [f for f in frames if "status" in f.columns]
    assert rules["status"].iloc[0] == "failed"  # failed rules come first
    assert (rules.loc[rules["status"] == "failed", "failed_rows"] > 0).all()
    assert rules.loc[rules["status"] == "failed", "failed"].tolist() == ["1 row", "1 row"]
    [failures] = [f for f in frames if "problem" in f.columns]
    assert len(failures) > 0
    [download] = [b for b in at.get("download_button")]
    assert "failing rows" in download.label
    assert store.warehouse.table_checksums() == before
    assert store.catalog.datasets() == []


def test_the_same_file_twice_is_refused_with_a_message(app, store):
    data_page(app, "rollouts", "regions.csv", ROLLOUT_CSV)
    at = data_page(app, "rollouts", "again.csv", ROLLOUT_CSV)
    [message] = [e.value for e in at.error]
    assert "already uploaded" in message
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 3


def test_an_ingest_from_another_process_shows_up_on_the_next_rerun(store, tmp_path):
    """The CLI writes while the app is open: the next rerun must see the new upload."""
    from impact.ingest import ingest_file

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    path = tmp_path / "late.csv"
    path.write_text("study,unit_id,treated_at\nlate,r1,2026-03-01\nlate,r2,\n")
    ingest_file(store, path, "rollouts")  # not through this session
    at.run()
    table = stored_datasets(at)
    assert table["dataset"].tolist() == ["late"]
