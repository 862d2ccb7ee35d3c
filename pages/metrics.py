"""Metrics: the governed definitions every study shares, and the value assumptions."""

import streamlit as st

from impact import charts, forms, ui
from impact.analysis.assumptions import STANDARD, assumption_names, change_assumption
from impact.analysis.definition_edits import choices
from impact.analysis.portfolio import (
    assumption_table,
    metric_table,
    model_names,
    outcome_columns,
)
from impact.errors import ImpactError, InvalidInput

ui.require_sign_in()  # before anything else, however this page is reached


@st.cache_data(show_spinner=False)
def load(generation: str):
    store = ui.store()
    tables = metric_table(store), assumption_table(store), outcome_columns(store)
    return *tables, assumption_names(store), model_names(store)


@st.cache_data(show_spinner=False)
def load_choices(generation: str):
    return choices(ui.store())


st.title("Metrics")
definitions, assumptions, columns, names, models = load(ui.generation())
st.subheader("Metric definitions")
if definitions.empty:
    st.info("No metric is defined yet.")
else:
    ui.table(definitions, hide_index=True)

st.subheader("Value assumptions")
st.caption(
    "Rates, volumes and costs that turn effects into money. Each change is a new "
    "version; the newest is shown."
)
if assumptions.empty:
    st.info("No value assumption is set yet.")
else:
    ui.table(assumptions, hide_index=True, column_config={"changed at": ui.when()})

with st.form("assumption", clear_on_submit=False):
    st.markdown("**Change an assumption** (recorded as a new version, with your name)")
    a1, a2, a3 = st.columns(3)
    name = a1.selectbox(
        "Assumption",
        names,
        format_func=lambda n: f"{n} — {STANDARD[n]}" if n in STANDARD else n,
    )
    scope = a2.selectbox(
        "Applies to",
        ["", *models],
        format_func=lambda s: s or "all models",
    )
    value = a3.number_input("New value", value=0.0, step=1.0)
    u1, u2, u3 = st.columns(3)
    se = u1.number_input(
        "Standard error (empty = known)",
        value=None,
        min_value=0.0,
        help="How unsure the value is; carried into every money interval.",
    )
    low = u2.number_input("or a 95% range: low", value=None)
    high = u3.number_input("high", value=None)
    b1, b2 = st.columns([1, 2])
    unit = b1.text_input("Unit (e.g. USD/hour)")
    note = b2.text_input("Why it changed")
    if st.form_submit_button("Save new version"):
        try:
            if (low is None) != (high is None):
                raise InvalidInput("Fill in both ends of the 95% range, or neither.")
            saved = change_assumption(
                ui.session_store(),
                name,
                value,
                scope=scope,
                unit=unit,
                note=note,
                se=se,
                value_range=None if low is None else (low, high),
            )
        except ImpactError as exc:
            st.error(ui.escape(exc))
        else:
            ui.data_changed()
            spread = f" ± {saved.se:,.2f}" if saved.se else ""
            st.success(
                f"{ui.escape(saved.name)} is now {saved.value:,.2f}{spread} "
                f"{ui.escape(saved.unit)} "
                f"(version {saved.version}). Money figures that use it are updated."
            )
st.subheader("Define or edit a metric")
st.caption(
    "Checked by the same rules as `impact define`; each save is a new version, with your name. "
    "Studies pick their metrics on the Experiments and Rollouts pages."
)
forms.flash()
editing = forms.metric_editor(load_choices(ui.generation()))
if editing:
    forms.history_table("metric", editing, key="metric_history")

st.subheader("Outcome columns in the warehouse")
if columns.empty:
    st.info(f"No outcome rows yet: {ui.add_data('outcomes')}.")
else:
    ui.table(
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
