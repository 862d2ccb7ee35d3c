"""Model health: volume, latency, fallbacks, labels and the score distribution over time."""

import streamlit as st

from impact import charts, ui
from impact.analysis.portfolio import model_overview


@st.cache_data(show_spinner=False)
def load(generation: int, model: str):
    return model_overview(ui.store(), model)


st.title("Model health")
models = [m.name for m in ui.store().catalog.models()]
if not models:
    ui.empty_warehouse_notice()
    st.stop()
model = st.selectbox("Model", models)
overview = load(ui.generation(), model)
st.caption(f"{overview.description} Decision threshold: {overview.threshold:g}.")

ops = overview.operations
total = overview.predictions
weights = ops["predictions"] / total if total else ops["predictions"]
cols = st.columns(4)
cols[0].metric("Predictions", ui.count(total))
cols[1].metric("Labels arrived", f"{(ops['label_coverage'] * weights).sum():.1%}")
cols[2].metric("Latency p95 (latest version)", f"{ops['latency_p95'].iloc[-1]:.0f} ms")
cols[3].metric("Fell back (not served)", f"{(ops['fallback_share'] * weights).sum():.1%}")

st.altair_chart(charts.score_band(ui.in_range(overview.weekly_scores, "week")))
st.caption("A band that moves while the business did not is drift: the inputs changed.")
left, right = st.columns(2)
left.subheader("By version")
left.dataframe(
    ops,
    hide_index=True,
    column_config={
        "label_coverage": st.column_config.ProgressColumn(
            "labels", format="percent", min_value=0, max_value=1
        ),
        "fallback_share": st.column_config.NumberColumn("fell back", format="percent"),
        "label_delay_days": st.column_config.NumberColumn("label delay (days)", format="%.1f"),
    },
)
right.altair_chart(charts.latency(ops))
