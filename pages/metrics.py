"""Metrics: the governed definitions every study shares, and the value assumptions."""

import streamlit as st

from impact import charts, ui
from impact.analysis.portfolio import assumption_table, metric_table, outcome_columns


@st.cache_data(show_spinner=False)
def load(generation: str):
    store = ui.store()
    return metric_table(store), assumption_table(store), outcome_columns(store)


st.title("Metrics")
definitions, assumptions, columns = load(ui.generation())
st.subheader("Metric definitions")
if definitions.empty:
    st.info("No metric is defined yet.")
else:
    st.dataframe(definitions, hide_index=True)
st.subheader("Value assumptions")
st.caption(
    "Rates, volumes and costs that turn effects into money. Each change is a new "
    "version; the newest is shown."
)
if assumptions.empty:
    st.info("No value assumption is set yet.")
else:
    st.dataframe(assumptions, hide_index=True, column_config={"changed at": ui.when()})
st.subheader("Outcome columns in the warehouse")
if columns.empty:
    st.info("No outcome rows yet: upload an outcomes file on the **Data** page.")
else:
    st.dataframe(
        columns,
        hide_index=True,
        column_config={
            "rows": ui.number(),
            "units": ui.number(),
            "first_observed": ui.day("first observed"),
            "last_observed": ui.day("last observed"),
        },
    )
    st.altair_chart(charts.rows_per_metric(columns))
