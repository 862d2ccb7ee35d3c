"""Rollouts: models switched on unit by unit, and the comparison a DiD will rest on."""

import streamlit as st

from impact import charts, ui
from impact.analysis.portfolio import rollout_overview
from impact.errors import ImpactError


@st.cache_data(show_spinner=False)
def load(generation: str, name: str):
    return rollout_overview(ui.store(), name)


st.title("Rollouts")
names = [s.name for s in ui.store().catalog.studies("did")]
if not names:
    ui.empty_warehouse_notice()
    st.stop()
name = st.selectbox("Rollout study", names, index=names.index(ui.selected_study(names)))
try:
    overview = load(ui.generation(), name)
except ImpactError as exc:
    st.error(str(exc))
    st.stop()
st.caption(overview.study.description or "")

cols = st.columns(4)
cols[0].metric("Units", ui.count(len(overview.units)))
cols[1].metric("Treated", ui.count(overview.treated))
cols[2].metric("Never treated", ui.count(overview.never_treated))
cols[3].metric("Adoption dates", ui.count(overview.cohorts))
if overview.cohorts > 1:
    st.info(
        "Adoption dates differ between units (a staggered rollout): effects will be "
        "estimated per adoption cohort (Callaway–Sant'Anna), since a plain two-way "
        "fixed-effects regression is biased here."
    )
if overview.never_treated == 0:
    st.warning("No unit is never treated: late adopters are the only comparison.")

if overview.metric and not overview.trends.empty:
    ui.chart(
        ui.in_range(overview.trends, "period"),
        charts.rollout_trends,
        overview.units,
        overview.metric,
    )
    st.caption(
        "Dashed lines mark adoption dates. Before adoption, treated units should move "
        "in parallel with the others; that is what makes the comparison fair."
    )
elif not overview.metric:
    st.caption("This study has no primary metric yet, so there is no trend to draw.")
else:
    st.caption(f"No {overview.metric} rows for these units yet.")
st.subheader("Units and adoption dates")
st.dataframe(
    overview.units.assign(
        treated_at=overview.units["treated_at"].dt.strftime("%Y-%m-%d").fillna("never")
    ),
    hide_index=True,
    column_config={"unit_id": "unit", "treated_at": "model switched on"},
)
