"""The only Streamlit-aware module of the library: the cached store and the shared sidebar.

Pages call these helpers so they stay thin. Cached loaders take `_store` (unhashed) and a
`generation` number that changes whenever data changes, so an upload refreshes every page.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from impact.store import Store, open_store

STUDY_KEY = "impact_study"
RANGE_KEY = "impact_range"


@st.cache_resource
def store() -> Store:
    """One handle per process; it opens the database only while a query runs."""
    return open_store()


def generation() -> int:
    return st.session_state.setdefault("impact_generation", 0)


def data_changed() -> None:
    """Call after a write: drops cached results everywhere."""
    st.cache_data.clear()
    st.session_state["impact_generation"] = generation() + 1


def sidebar(study_names: list[str]) -> None:
    """Study and date range, shared by every page through session state."""
    with st.sidebar:
        st.markdown("### Filters")
        if study_names:
            current = st.session_state.get(STUDY_KEY)
            index = study_names.index(current) if current in study_names else 0
            st.session_state[STUDY_KEY] = st.selectbox("Study", study_names, index=index)
        default = st.session_state.get(RANGE_KEY) or (date(2026, 1, 1), date.today())
        chosen = st.date_input("Date range", value=default, key="impact_range_widget")
        if isinstance(chosen, tuple | list) and len(chosen) == 2:
            st.session_state[RANGE_KEY] = (chosen[0], chosen[1])
        st.caption("The date range filters the time series on every page.")


def selected_study(candidates: list[str]) -> str | None:
    """The sidebar's study if it fits this page, else the first candidate."""
    chosen = st.session_state.get(STUDY_KEY)
    return chosen if chosen in candidates else (candidates[0] if candidates else None)


def in_range(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows whose `column` falls inside the sidebar's date range (inclusive)."""
    bounds = st.session_state.get(RANGE_KEY)
    if not bounds or frame.empty:
        return frame
    start = pd.Timestamp(datetime.combine(bounds[0], datetime.min.time()), tz="UTC")
    end = pd.Timestamp(datetime.combine(bounds[1], datetime.min.time()), tz="UTC")
    values = pd.to_datetime(frame[column], utc=True)
    return frame[(values >= start) & (values < end + timedelta(days=1))]


def money(value: float, currency: str = "USD") -> str:
    return f"{currency} {value:,.0f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def empty_warehouse_notice() -> None:
    st.info(
        "No data yet. Load the demo portfolio with `impact demo` (or `make run`), or "
        "upload your own files on the **Data** page."
    )
