"""Model health: volume, latency, fallbacks, labels and the score distribution over time."""

import streamlit as st

from impact import charts, ui
from impact.analysis.portfolio import model_overview


@st.cache_data(show_spinner=False)
def load(generation: str, model: str):
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
latest = ops.iloc[-1]
cols = st.columns(6)
cols[0].metric("Predictions", ui.count(total))
cols[1].metric("Labels arrived", f"{(ops['label_coverage'] * weights).sum():.1%}")
cols[2].metric("Fell back (not served)", f"{(ops['fallback_share'] * weights).sum():.1%}")
for col, p in zip(cols[3:], ("p50", "p95", "p99"), strict=True):
    col.metric(f"Latency {p}", f"{latest[f'latency_{p}']:.0f} ms")
st.caption(f"Latency of the latest version, {latest['version']}; the rest over all versions.")

ui.chart(ui.in_range(overview.weekly_scores, "week"), charts.score_band)
st.caption("A band that moves while the business did not is drift: the inputs changed.")
st.subheader("By version")
latency_ms = {
    f"latency_{p}": st.column_config.NumberColumn(f"latency {p} (ms)", format="%.0f")
    for p in ("p50", "p95", "p99")
}
st.dataframe(
    ops,
    hide_index=True,
    column_config={
        "predictions": ui.number(),
        **latency_ms,
        "label_coverage": st.column_config.ProgressColumn(
            "labels", format="percent", min_value=0, max_value=1
        ),
        "fallback_share": st.column_config.NumberColumn("fell back", format="percent"),
        "label_delay_days": st.column_config.NumberColumn("label delay (days)", format="%.1f"),
    },
)
st.altair_chart(charts.latency(ops))
