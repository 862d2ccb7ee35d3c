"""Model health: volume, latency, fallbacks, labels and the score distribution over time."""

from datetime import UTC, datetime, time

import streamlit as st

from impact import charts, ui
from impact.analysis.health import BadReference, default_drift_reference
from impact.analysis.model_view import model_view
from impact.analysis.portfolio import model_names, model_overview

ui.require_sign_in()  # before anything else, however this page is reached

QUALITY = {
    "classification": ["roc_auc", "pr_auc", "accuracy", "f1", "log_loss", "ece", "brier"],
    "regression": ["mae", "rmse", "mape"],
}


@st.cache_data(show_spinner=False)
def load_models(generation: str) -> list[str]:
    return model_names(ui.store())


@st.cache_data(show_spinner=False)
def load(generation: str, model: str, period: str):
    return model_overview(ui.store(), model, period)


@st.cache_data(show_spinner=False)
def load_reference(generation: str, model: str):
    return default_drift_reference(ui.store(), model)


@st.cache_data(show_spinner="Computing model health …")
def load_health(generation: str, model: str, period: str, reference):
    return model_view(ui.store(), model, period, reference)


def chosen_reference(model: str):
    """The Drift reference widget's window as UTC datetimes; None while it is the default
    or only half chosen."""
    default = tuple(t.date() for t in load_reference(ui.generation(), model))
    with st.expander("Drift reference"):
        chosen = st.date_input(
            "Reference window (start, end exclusive)", value=default, key=f"reference_{model}"
        )
    if not isinstance(chosen, tuple) or len(chosen) != 2 or tuple(chosen) == default:
        return None
    return tuple(datetime.combine(d, time(), tzinfo=UTC) for d in chosen)


st.title("Model health")
models = load_models(ui.generation())
if not models:
    ui.empty_warehouse_notice()
    st.stop()
asked = st.query_params.get("model")  # from an Overview card's link
if asked in models:
    st.session_state["health_model"] = asked
    del st.query_params["model"]  # once: the picker is the visitor's from here on
c1, c2 = st.columns([3, 1])
model = c1.selectbox("Model", models, key="health_model")
period = c2.radio("Period", ["week", "day"], horizontal=True)
overview = load(ui.generation(), model, period)
reference = chosen_reference(model)
try:
    view = load_health(ui.generation(), model, period, reference)
except BadReference as exc:
    st.error(f"{ui.escape(exc)} Change the dates under **Drift reference** above.")
    st.stop()
health = view.health
cadence = health.cadence
st.caption(f"{ui.escape(overview.description)} Decision threshold: {overview.threshold:g}.")

for alert in health.alerts:
    st.warning(
        f"**{alert.kind}** · {ui.escape(alert.version)} · {ui.escape(alert.subject)}: "
        f"{ui.escape(alert.message)} — first "
        f"in the {cadence} of {alert.first_period:%Y-%m-%d}, in {alert.periods} {cadence}(s) "
        "since."
    )
if not health.alerts:
    st.success("No alert: quality, calibration, drift and operations are within thresholds.")
st.caption(
    f"Alerts are evaluated per {cadence} whatever the period shown. Drift reference "
    f"{health.reference[0]:%Y-%m-%d} to {health.reference[1]:%Y-%m-%d} (exclusive); drift "
    f"and the ROC AUC drop are monitored from {health.monitored_from:%Y-%m-%d} on."
)

ops = overview.operations
total = overview.predictions
weights = ops["predictions"] / total if total else ops["predictions"]
latest = ops.iloc[-1]
# Two rows of three: six in a row cut the figures ("77.…", "30 …") at 1024 px.
cols = [*st.columns(3), *st.columns(3)]
cols[0].metric("Predictions", ui.count(total))
cols[1].metric("Labels arrived", f"{(ops['label_coverage'] * weights).sum():.1%}")
cols[2].metric("Fell back (not served)", f"{(ops['fallback_share'] * weights).sum():.1%}")
for col, p in zip(cols[3:], ("p50", "p95", "p99"), strict=True):
    col.metric(f"Latency {p}", f"{latest[f'latency_{p}']:.0f} ms")
st.caption(
    f"Latency of the latest version, {ui.escape(latest['version'])}; the rest over all versions."
)

left, right = st.columns(2)
with left:
    choices = [m for m in QUALITY.get(health.task, []) if m in health.performance.columns]
    if choices:
        metric = st.selectbox("Quality metric", choices, format_func=ui.header)
        ui.chart(
            ui.in_range(health.performance, "period"),
            charts.metric_over_time,
            metric,
            f"{ui.header(metric)} per {period} (labelled predictions)",
        )
with right:
    st.caption(ui.escape(view.money_source))
    if not view.money.empty:
        ui.chart(ui.in_range(view.money, "period"), charts.money_over_time, "Cumulative value")
ui.chart(ui.in_range(overview.scores, "period"), charts.score_band, period)
st.caption("A band that moves while the business did not is drift: the inputs changed.")

st.subheader("Versions compared")
ui.table(
    view.comparison,
    hide_index=True,
    column_config={
        "n": ui.number("predictions"),
        "labeled": ui.number("labelled"),
        "label_coverage": st.column_config.NumberColumn("labels arrived", format="percent"),
        "fallback_share": st.column_config.NumberColumn("fell back", format="percent"),
        **{
            f"latency_{p}": st.column_config.NumberColumn(f"latency {p} (ms)", format="%.0f")
            for p in ("p50", "p95", "p99")
        },
        "label_delay_days": st.column_config.NumberColumn("label delay (days)", format="%.1f"),
        **{
            c: st.column_config.NumberColumn(format="%.3f")
            for c in ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "ece")
        },
    },
)
st.caption(
    "One row per version over all its predictions and labels; score drift of its monitored "
    "weeks against the reference window."
)
d1, d2 = st.columns(2)
with d1:
    ui.chart(view.reliability, charts.reliability)
with d2:
    for note in health.notes:
        st.caption(ui.escape(note))
st.markdown(
    f"**Drift against the reference window** "
    f"({health.reference[0]:%Y-%m-%d} to {health.reference[1]:%Y-%m-%d}, exclusive), latest "
    f"{period} per version"
)
latest = health.drift.sort_values("period").groupby(["version", "column"]).tail(1)
ui.table(
    latest[
        [
            "version",
            "period",
            "column",
            "psi",
            "psi_label",
            "js_distance",
            "ks_d",
            "chi_square",
            "p_value",
        ]
    ],
    hide_index=True,
    column_config={"period": ui.day(period)},
)
st.altair_chart(charts.latency(ops))
