"""Experiments: every arm against control on every metric, with the checks that qualify it."""

from dataclasses import replace

import streamlit as st

from impact import charts, forms, ui
from impact.analysis.ab import (
    experiment_readout,
    readout_frame,
    segment_names,
    segment_readout,
    tidy_frame,
)
from impact.analysis.definition_edits import choices as definition_choices
from impact.analysis.portfolio import experiment_enrolment, metric_units, studies, study
from impact.errors import ImpactError
from impact.glossary import TERMS
from impact.options import DEFAULT_CAP, ReadoutOptions

ui.require_sign_in()  # before anything else, however this page is reached


@st.cache_data(show_spinner=False)
def load_studies(generation: str) -> list[str]:
    return [s.name for s in studies(ui.store(), "ab")]


@st.cache_data(show_spinner=False)
def load_study(generation: str, name: str):
    return study(ui.store(), name)


@st.cache_data(show_spinner="Computing the readout …")
def load(generation: str, name: str, options: ReadoutOptions, target: float | None):
    record = study(ui.store(), name)
    primary = record.primary_metric
    targets = {primary: target} if primary and target else None
    result = experiment_readout(ui.store(), record, options, targets=targets)
    return result, readout_frame(result), experiment_enrolment(ui.store(), name)


@st.cache_data(show_spinner="Splitting by segment …")
def load_segments(generation: str, name: str, metric: str, segment: str, options: ReadoutOptions):
    return tidy_frame(segment_readout(ui.store(), name, metric, segment, options))


@st.cache_data(show_spinner=False)
def load_units(generation: str) -> dict[str, str]:
    return metric_units(ui.store(), currency_code=True)


@st.cache_data(show_spinner=False)
def load_metric_names(generation: str) -> list[str]:
    return definition_choices(ui.store()).metrics


@st.cache_data(show_spinner=False)
def load_segment_names(generation: str, name: str) -> list[str]:
    return segment_names(ui.store(), name)


st.title("Experiments")
names = load_studies(ui.generation())
if not names:
    ui.empty_warehouse_notice()
    st.stop()
name = st.selectbox("Experiment", names, index=names.index(ui.selected_study(names)))
ui.remember_study(name)
record = load_study(ui.generation(), name)
settings = record.options
stored = settings.readout
st.caption(ui.escape(record.description or ""))


def definition_section(expanded: bool) -> None:
    """The study's saved definition, editable; first when there is no readout without it."""
    forms.flash()
    with st.expander("Study definition", expanded=expanded):
        st.caption(
            "Saved for every page, `impact ab` and the Overview, as a new version with your "
            "name. The analysis options above change only what this page shows."
        )
        forms.experiment_editor(name, load_metric_names(ui.generation()))
        forms.history_table("study", name, key="study_history")


CORRECTIONS = {"holm": "Holm (family-wise)", "bh": "Benjamini–Hochberg (FDR)", "none": "None"}
with st.expander("Analysis options"):
    c1, c2, c3 = st.columns(3)
    relative = c1.toggle("Relative lift (%)", value=stored.relative)
    cuped = c1.toggle("CUPED (pre-period adjustment)", value=stored.cuped, help=TERMS["cuped"])
    sequential = c2.toggle(
        "Always-valid intervals (peeking allowed)",
        value=stored.sequential,
        help=TERMS["always_valid"],
    )
    pairwise = c2.toggle("Also compare treatment arms pairwise", value=stored.pairwise)
    correction = c3.selectbox(
        "Multiple-comparison correction",
        list(CORRECTIONS),
        index=list(CORRECTIONS).index(stored.correction),
        format_func=CORRECTIONS.get,
        help=TERMS["correction"],
    )
    capping = c3.toggle("Cap outliers (1st–99th percentile)", value=stored.cap is not None)
    target = c3.number_input(
        f"Target effect on {ui.escape(record.primary_metric or 'the primary metric')} "
        "(for sample size)",
        min_value=0.0,
        value=float(settings.target_effect.get(record.primary_metric, 0.0)),
        help="In metric units per unit, also with relative lifts (it is then read as a "
        "lift of the control mean); 0 = not set.",
    )
    power = c1.slider("Power level", 0.5, 0.99, value=float(stored.power), step=0.01)
    # below the target (same column), so the target stays the first number input
    tuning_n = c3.number_input(
        "Always-valid: tightest at this many units",
        min_value=1,
        value=int(stored.tuning_n),
        step=1000,
        disabled=not sequential,
        help="The sample size at which the confidence sequence is narrowest (its ρ).",
    )
options = replace(
    stored,
    relative=relative,
    cuped=cuped,
    correction=correction,
    sequential=sequential,
    pairwise=pairwise,
    tuning_n=int(tuning_n),
    power=power,
    cap=(stored.cap or DEFAULT_CAP) if capping else None,
)
try:
    result, table, enrolment = load(ui.generation(), name, options, target or None)
except ImpactError as exc:
    st.error(ui.escape(exc))
    definition_section(expanded=True)  # the fix is often here: a primary metric, a window
    st.stop()
readout = result.readout
used = ", ".join(f"metric {m} v{v}" for m, v in result.metric_versions.items())
st.caption(ui.escape(f"Definitions used: study {name} v{result.study_version}, {used}."))

if readout.srm is not None and readout.srm.mismatch:
    st.error("**Do not trust these results yet.** " + ui.escape(readout.srm.message()))
for warning in readout.warnings:
    if warning.kind != "srm":  # shown above, as an error
        st.warning(ui.escape(warning))

cols = st.columns(len(readout.counts) + 1)
total = sum(readout.counts.values()) or 1
planned_total = sum(record.planned_split.values()) or 1
for col, (arm, n) in zip(cols, readout.counts.items(), strict=False):
    col.metric(f"Units in {ui.escape(arm)}", ui.count(n))
    share = record.planned_split.get(arm)
    planned = f"; planned {share / planned_total:.1%}" if share else ""
    col.caption(f"{n / total:.1%} of units{planned}")
srm_failed = readout.srm is not None and readout.srm.mismatch
srm_state = "failed" if srm_failed else ("passed" if readout.srm else "no planned split")
cols[-1].metric("Sample ratio check", srm_state, help=TERMS["srm"])
if readout.srm:
    cols[-1].caption(f"χ² p = {readout.srm.p_value:.3f}; flagged below 0.001")

st.subheader("Arms × metrics")
level = f"{(1 - options.alpha) * 100:.3g}%"
if correction == "none":
    family = ui.escape(readout.family)
    corrected = f"No correction: p-values and {level} intervals are per comparison ({family})."
else:
    corrected = (
        f"{CORRECTIONS[correction]} correction within each family ({ui.escape(readout.family)}); "
        "guardrails are not corrected. Each interval is drawn at the level that agrees with "
        "its corrected p-value instead of "
        f"{level} (column interval_level; "
        + ("Holm's step level 1 − α/(m − k + 1)" if correction == "holm" else "BH's 1 − α·k/m")
        + " unless the procedure's monotonicity widens it), so it excludes 0 exactly when "
        "the comparison is significant."
    )
st.caption(
    f"{corrected} Effects are "
    f"{'relative to the control mean' if relative else 'per unit, in metric units'}."
)
if not table.empty:
    shown = table[
        [
            "metric",
            "comparison",
            "kind",
            "control_mean",
            "treatment_mean",
            "effect",
            "ci_low",
            "ci_high",
            "interval_level",
            "p_value",
            "significant",
            "guardrail_passed",
            "method",
        ]
    ].copy()
    if not relative:  # effects carry their metric's unit (lifts are in percent)
        units = load_units(ui.generation())
        shown.insert(shown.columns.get_loc("effect"), "unit", shown["metric"].map(units))
    effect_format = "%.4f"
    if relative:  # show lifts in percent
        shown[["effect", "ci_low", "ci_high"]] *= 100
        effect_format = "%.2f%%"
    ui.table(
        shown,
        hide_index=True,
        column_config={
            "control_mean": st.column_config.NumberColumn("control mean", format="%.4f"),
            "treatment_mean": st.column_config.NumberColumn("treatment mean", format="%.4f"),
            # p-values span many magnitudes: %.2g shows 3e-12, not 0.0000
            "p_value": st.column_config.NumberColumn("p-value", format="%.2g"),
            "interval_level": st.column_config.NumberColumn("interval level", format="percent"),
            "effect": st.column_config.NumberColumn("effect", format=effect_format),
            "ci_low": st.column_config.NumberColumn("interval low", format=effect_format),
            "ci_high": st.column_config.NumberColumn("interval high", format=effect_format),
            "guardrail_passed": st.column_config.Column("guardrail held", help=TERMS["guardrail"]),
        },
    )
    st.altair_chart(charts.forest(table[table["kind"] == "primary"], relative=relative))
    ui.download_csv("Download results (CSV)", table, f"{name}-readout.csv")
for item in readout.not_estimable:
    st.warning(f"{ui.escape(item.metric)} · {ui.escape(item.comparison)}: {ui.escape(item.reason)}")

left, right = st.columns(2)
with left:
    st.subheader("Power")
    if readout.power:
        scale = 100 if relative else 1
        unit = "%" if relative else ""
        ui.table(
            [
                {
                    "metric": p.metric,
                    "comparison": p.comparison,
                    f"detectable now ({p.power:.0%} power)": f"{p.mde * scale:.4g}{unit}",
                    "variance": p.variance,
                    "target effect": None
                    if p.target_effect is None
                    else round(p.target_effect * scale, 6),
                    "units needed": p.units_needed,
                    "days needed": None if p.days_needed is None else round(p.days_needed, 1),
                }
                for p in readout.power
            ],
            hide_index=True,
        )
        reading = (
            "read with the always-valid intervals above"
            if sequential
            else "by the fixed-sample test above"
        )
        st.caption(
            f"The smallest effect this sample detects {power:.0%} of the time at "
            f"α = {options.alpha:g}, {reading}, and the sample a target effect needs; from "
            "the variance the readout uses (CUPED-adjusted, a ratio's delta method"
            + (", on the lift's scale)." if relative else ").")
        )
with right:
    st.subheader("Enrolment")
    ui.chart(ui.in_range(enrolment, "day"), charts.enrolment)

st.subheader("Segments")
st.caption("Exploratory: many comparisons chosen after the fact. Confirm before acting.")
metrics = sorted(table.loc[table["kind"] == "primary", "metric"].unique()) if len(table) else []
segments = load_segment_names(ui.generation(), name)
if not segments:
    st.caption("No segment columns (region, channel …) were uploaded with the outcomes.")
if metrics and segments:
    s1, s2 = st.columns(2)
    metric = s1.selectbox("Metric", metrics)
    segment = s2.selectbox("Segment", segments)
    try:
        parts = load_segments(ui.generation(), name, metric, segment, options)
        ui.table(
            parts.assign(comparison=parts.treatment_arm + " vs " + parts.control_arm),
            hide_index=True,
            column_order=["segment", "comparison", "n_control", "n_treatment", "effect"]
            + ["ci_low", "ci_high", "p_value"],
            column_config={
                "n_control": ui.number("n control"),
                "n_treatment": ui.number("n treatment"),
                "p_value": st.column_config.NumberColumn("p-value (corrected)", format="%.2g"),
                "effect": st.column_config.NumberColumn("effect", format="%.4f"),
                "ci_low": st.column_config.NumberColumn("interval low", format="%.4f"),
                "ci_high": st.column_config.NumberColumn("interval high", format="%.4f"),
            },
        )
    except ImpactError as exc:
        st.info(ui.escape(exc))

definition_section(expanded=False)
