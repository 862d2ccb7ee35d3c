"""The shared sidebar: its date range starts as the data's span and filters every chart.

AppTest runs the entrypoint (router and sidebar) on an app's first run only; later runs
render the current page alone. So the sidebar widgets are read on the first run, and later
choices are made through the session state keys the sidebar writes (impact.ui).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from impact import ui
from impact.demo import truth as T

APP = str(Path(__file__).parents[1] / "app.py")


@pytest.fixture
def app(demo_app):
    return demo_app


def chart_data(at: AppTest, index: int = 0) -> pd.DataFrame:
    """The rows a page handed to its index-th Altair chart."""
    proto = at.get("vega_lite_chart")[index].proto
    return pa.ipc.open_stream(proto.datasets[0].data.data).read_pandas()


def chart_with(at: AppTest, column: str) -> pd.DataFrame:
    """The data of the first chart on the page that has `column`."""
    for index in range(len(at.get("vega_lite_chart"))):
        frame = chart_data(at, index)
        if column in frame.columns:
            return frame
    raise AssertionError(f"no chart with a {column!r} column")


def test_the_date_range_starts_as_the_span_of_the_data(app, demo_store):
    first, last = demo_store.warehouse.execute("""
        SELECT min(t)::DATE, max(t)::DATE FROM (
            SELECT predicted_at AS t FROM predictions UNION ALL
            SELECT observed_at FROM outcomes UNION ALL
            SELECT assigned_at FROM assignments UNION ALL
            SELECT treated_at FROM rollouts WHERE treated_at IS NOT NULL) AS facts""").rows[0]
    assert app.sidebar.date_input[0].value == (first, last)
    weeks = chart_with(app, "predictions")
    assert weeks["predictions"].sum() == demo_store.warehouse.scalar(
        "SELECT count(*) FROM predictions"
    )


def test_a_narrower_range_filters_the_charts_on_every_page(app, demo_store):
    start, end = date(2026, 9, 7), date(2026, 9, 27)  # Monday to Sunday: three weeks
    app.sidebar.date_input[0].set_value((start, end)).run()  # as a visitor picks it
    weeks = chart_with(app, "predictions")
    assert sorted(weeks["week"].dt.date.unique()) == [
        date(2026, 9, 7),
        date(2026, 9, 14),
        date(2026, 9, 21),
    ]
    expected = demo_store.warehouse.scalar(
        "SELECT count(*) FROM predictions WHERE predicted_at >= ? AND predicted_at < ?",
        [pd.Timestamp(start, tz="UTC"), pd.Timestamp("2026-09-28", tz="UTC")],
    )
    assert weeks["predictions"].sum() == expected

    at = app.switch_page("pages/model_health.py").run()
    at.selectbox(key="health_model").set_value(T.FRAUD_MODEL).run()
    assert not at.exception
    assert at.session_state[ui.RANGE_KEY] == (start, end)  # kept across pages
    band = chart_with(at, "score_p50")
    assert band["period"].dt.date.min() >= start and band["period"].dt.date.max() <= end


def test_the_sidebar_has_no_study_picker_and_a_page_reopens_on_its_study(app, demo_store):
    # The sidebar's "Study" picker did nothing visible and disagreed with the page's own.
    assert not app.sidebar.selectbox
    at = app.switch_page("pages/rollouts.py").run()
    assert at.selectbox[0].value == T.ROLLOUT_STUDY
    at = at.switch_page("pages/experiments.py").run()
    assert at.session_state[ui.STUDY_KEY] == T.EXPERIMENT  # the page remembers its choice
    app.session_state[ui.STUDY_KEY] = T.ROLLOUT_STUDY
    at = app.switch_page("pages/rollouts.py").run()
    assert not at.exception
    assert at.selectbox[0].value == T.ROLLOUT_STUDY


def test_a_link_with_a_study_or_a_model_opens_its_page_on_it(app):
    app.query_params["model"] = T.FRAUD_MODEL
    at = app.switch_page("pages/model_health.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="health_model").value == T.FRAUD_MODEL
    assert "model" not in at.query_params  # once: the picker is the visitor's again
