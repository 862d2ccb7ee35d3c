"""Rollouts: models switched on unit by unit, and the comparison a DiD will rest on."""

import streamlit as st

from impact import charts, forms, ui
from impact.analysis.definition_edits import choices as definition_choices
from impact.analysis.did import (
    aggregations_frame,
    checks_frame,
    cluster_choices,
    event_table,
    p_text,
    rollout_options,
    rollout_readout,
)
from impact.analysis.portfolio import metric_units, rollout_overview
from impact.errors import ImpactError
from impact.formats import amount
from impact.glossary import TERMS

ui.require_sign_in()  # before anything else, however this page is reached

AGGREGATIONS = {
    "simple": "simple (every treated cell after adoption)",
    "dynamic": "by periods since adoption",
    "group": "by adoption cohort",
    "calendar": "by calendar period",
}
ESTIMATORS = {
    "cs": "Callaway–Sant'Anna (per adoption cohort)",
    "twfe": "Two-way fixed effects",
    "2x2": "2×2 (before/after × treated/control)",
    "event": "Event study (TWFE)",
}


@st.cache_data(show_spinner=False)
def load(generation: str, name: str):
    return rollout_overview(ui.store(), name)


@st.cache_data(show_spinner="Estimating the rollout's effect …")
def load_readout(generation: str, name: str, **choices):
    store = ui.store()
    return rollout_readout(store, name, rollout_options(store, name, **choices))


@st.cache_data(show_spinner=False)
def load_clusters(generation: str, name: str) -> list[str]:
    return cluster_choices(ui.store(), name)


@st.cache_data(show_spinner=False)
def load_metric_names(generation: str) -> list[str]:
    return definition_choices(ui.store()).metrics


st.title("Rollouts")
names = [s.name for s in ui.store().catalog.studies("did")]
if not names:
    ui.empty_warehouse_notice()
    st.stop()
name = st.selectbox("Rollout study", names, index=names.index(ui.selected_study(names)))
ui.remember_study(name)
try:
    overview = load(ui.generation(), name)
except ImpactError as exc:
    st.error(ui.escape(exc))
    st.stop()
st.caption(ui.escape(overview.study.description or ""))


def definition_section() -> None:
    """The study's saved definition, editable; first while it names no metric."""
    forms.flash()
    with st.expander("Study definition", expanded=not overview.metric):
        st.caption(
            "Saved for every page, `impact did` and the Overview, as a new version with your "
            "name. The choices under the effect change only what this page shows."
        )
        segments = [c for c in load_clusters(ui.generation(), name) if c != "unit"]
        forms.rollout_editor(name, load_metric_names(ui.generation()), segments)
        forms.history_table("study", name, key="study_history")


if not overview.metric:
    definition_section()

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
    st.caption(f"No {ui.escape(overview.metric)} rows for these units yet.")
if overview.metric:
    st.subheader(f"Effect on {ui.escape(overview.metric)}")
    e1, e2, e3 = st.columns(3)
    stored = overview.study.options.rollout  # what the study's other readouts use
    default = stored.estimator or ("cs" if overview.cohorts > 1 else "twfe")
    estimator = e1.selectbox(
        "Estimator",
        list(ESTIMATORS),
        index=list(ESTIMATORS).index(default),
        format_func=ESTIMATORS.get,
    )
    controls = ["notyet", "never"]
    control = e2.selectbox(
        "Comparison units",
        controls,
        index=controls.index(stored.control),
        format_func={"notyet": "not yet treated (and never)", "never": "never treated only"}.get,
    )
    # The study's own setting is offered even when its data no longer fits it, so the page
    # shows the same readout (or the same error) as the Overview's money.
    clusters = list(dict.fromkeys([*load_clusters(ui.generation(), name), stored.cluster]))
    cluster = e3.selectbox(
        "Cluster standard errors by",
        clusters,
        index=clusters.index(stored.cluster),
        help="Units that share shocks (stores in one region) are not independent: "
        "cluster by the grouping they share, or intervals come out too narrow.",
    )
    a1, a2, a3, a4 = st.columns(4)
    aggregate = stored.aggregate
    if estimator == "cs":
        aggregate = a1.selectbox(
            "Headline aggregation",
            list(AGGREGATIONS),
            index=list(AGGREGATIONS).index(stored.aggregate),
            format_func=AGGREGATIONS.get,
            help="How the group-time effects ATT(g, t) are averaged into one number.",
        )
    leads = a2.number_input(
        "Event study: periods before adoption",
        min_value=2,
        max_value=max(12, stored.leads),
        value=stored.leads,
        step=1,
        help="Leads tested for pre-trends; earlier periods share one coefficient.",
    )
    lags = a3.number_input(
        "Event study: periods after adoption",
        min_value=0,
        max_value=max(12, stored.lags),
        value=stored.lags,
        step=1,
    )
    alphas = sorted({0.1, 0.05, 0.01, stored.alpha}, reverse=True)
    alpha = a4.selectbox(
        "Confidence level",
        alphas,
        index=alphas.index(stored.alpha),
        format_func=lambda a: f"{1 - a:.0%}",
        help="Intervals cover the effect this often; checks fail below 1 − this level.",
    )
    choices = {
        # The data's own choice stays None, so the readout can say the data made it.
        "estimator": None if estimator == default and stored.estimator is None else estimator,
        "control": control,
        "cluster": cluster,
        "aggregate": aggregate if estimator == "cs" else "simple",
        "leads": int(leads),
        "lags": int(lags),
        "alpha": alpha,
    }
    try:
        readout = load_readout(ui.generation(), name, **choices)
    except ImpactError as exc:
        st.info(ui.escape(exc))
    else:
        e = readout.estimate
        r1, r2 = st.columns([1, 2])
        unit = metric_units(ui.store()).get(overview.metric, "")
        r1.metric(
            f"Change in {ui.escape(overview.metric)} since adoption",
            amount(e.effect, unit, signed=True),
        )
        r1.caption(
            f"{1 - e.alpha:.0%} CI {ui.escape(amount(e.ci_low, unit, signed=True))} to "
            f"{ui.escape(amount(e.ci_high, unit, signed=True))}; "
            f"{p_text(e)}; {ui.count(e.clusters)} clusters ({ui.escape(cluster)}s)"
        )
        r2.caption(ui.escape(e.method))
        st.caption(
            ui.escape(
                f"Definitions used: study {name} v{readout.study_version}, "
                f"metric {e.metric} v{readout.metric_version}."
            )
        )
        for warning in e.warnings:
            st.warning(ui.escape(warning.message))
        st.markdown("**Checks** (shown every time, passed or not)")
        ui.table(
            checks_frame(readout),
            hide_index=True,
            column_config={
                "p_value": st.column_config.NumberColumn("p-value", format="%.3g"),
                "check": st.column_config.Column(
                    "check", help=f"{TERMS['pre-trend']} {TERMS['placebo']}"
                ),
            },
        )
        st.caption(
            f"A check fails when its p-value is below {e.alpha:g} (the confidence level "
            "chosen above). A failed pre-trend, pre-test or placebo means outcomes moved "
            "before the model did: the effect above is doubtful."
        )
        aggregations = aggregations_frame(readout)
        if not aggregations.empty:
            st.markdown(f"**Callaway–Sant'Anna aggregations** ({1 - e.alpha:.0%} intervals)")
            ui.table(aggregations, hide_index=True)
        events = event_table(readout)
        if not events.empty:
            st.altair_chart(charts.event_study(events, overview.metric))
            ui.download_csv(
                "Download effect by periods since adoption (CSV)", events, f"{name}-event-time.csv"
            )
        if readout.group_time is not None and not readout.group_time.empty:
            st.markdown("**Group-time effects ATT(g, t)**")
            ui.table(
                readout.group_time,
                hide_index=True,
                column_order=["group", "period", "event_time", "att", "se", "ci_low", "ci_high"]
                + ["n_treated", "n_control"],
                column_config={
                    "group": st.column_config.DatetimeColumn("cohort", format="YYYY-MM-DD"),
                    "period": st.column_config.DatetimeColumn(format="YYYY-MM-DD"),
                },
            )
            ui.download_csv(
                "Download group-time effects (CSV)", readout.group_time, f"{name}-att.csv"
            )

st.subheader("Units and adoption dates")
ui.table(
    overview.units.assign(
        treated_at=overview.units["treated_at"].dt.strftime("%Y-%m-%d").fillna("never")
    ),
    hide_index=True,
    column_config={"unit_id": "unit", "treated_at": "model switched on"},
)

if overview.metric:
    definition_section()
