"""Forms that edit one metric or one study, shared by the Metrics, Experiments, Rollouts and
Data pages. Presentation only: each widget starts from the stored definition, every rerun
checks the edit with impact.analysis.definition_edits (the rules of a definitions file) and
shows old → new with the Overview figures it alters; Save writes a new version.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from impact import ui
from impact.access import WHAT, can
from impact.analysis import definition_edits as edits
from impact.analysis.definitions import stored_references
from impact.errors import ImpactError

FLASH = "impact_form_flash"  # the last save's message, shown once after its rerun
AGGREGATIONS = {
    "sum": "sum per unit",
    "mean": "mean per unit",
    "proportion": "share of units (0/1)",
    "ratio": "ratio of two sums",
}
KINDS = {"revenue": "revenue", "cost": "cost avoided", "time": "time saved", "count": "a count"}
CORRECTIONS = {"holm": "Holm (family-wise)", "bh": "Benjamini–Hochberg (FDR)", "none": "None"}


@st.cache_data(show_spinner="Reading which money the Overview's total counts …")
def _counted(generation: str) -> set[str]:
    return edits.counted_lines(ui.store())


def _counted_now() -> set[str]:
    return _counted(ui.generation())


@st.cache_data(show_spinner=False)
def _stored(generation: str):
    """What a definition may refer to: distinct columns, arms, rollouts and segments (scans
    of the fact tables, once per data version rather than at every rerun of a form)."""
    return stored_references(ui.store())


def _stored_now():
    return _stored(ui.generation())


def _at(options: list, current) -> int:
    """A widget's starting index: the stored value's, or the first option's."""
    return options.index(current) if current in options else 0


def _alpha_input(container, spec, key: str) -> float:
    return container.number_input(
        "Significance level",
        min_value=0.001,
        max_value=0.5,
        value=float(spec.alpha),
        step=0.01,
        format="%.3f",
        key=f"{key}_alpha",
    )


def flash() -> None:
    """The message of a save made on the previous run (a save reruns the page)."""
    if message := st.session_state.pop(FLASH, None):
        st.success(message)


def _role_note(action: str) -> bool:
    """True when the signed-in role may make this change; otherwise says who can."""
    role = ui.session_store().role
    if can(role, action):
        return True
    st.caption(f"You have the {role} role: you can read but not {WHAT[action]}.")
    return False


def review(proposal: edits.Proposal, action: str, key: str) -> None:
    """Problems, or old → new and what it alters, and the Save button."""
    if proposal.problems:
        for problem in proposal.problems:
            st.error(ui.escape(problem))
    elif not proposal.unchanged:
        ui.table(pd.DataFrame(proposal.rows()), hide_index=True)
    if proposal.unchanged:
        st.caption("No change yet: edit a field above to see what saving would alter.")
    else:
        st.info(ui.escape(proposal.effect()))
    allowed = _role_note(action)
    ready = proposal.ok and not proposal.unchanged and allowed
    if st.button(f"Save {proposal.kind}", key=f"{key}_save", disabled=not ready, type="primary"):
        try:
            saved = edits.save(ui.session_store(), proposal)
        except ImpactError as exc:
            st.error(ui.escape(exc))
            return
        st.session_state[FLASH] = (
            f"Saved {proposal.kind} {ui.escape(proposal.name)} as version {saved.version}."
        )
        ui.data_changed()
        st.rerun()


def metric_editor(
    choices: edits.Choices, dataset: str | None = None, key: str = "metric_edit"
) -> str | None:
    """Define a new metric (on `dataset`, if given) or edit a stored one, on a stored
    outcomes column; returns the stored metric being edited (None for a new one)."""
    store = ui.store()
    metrics, columns, assumptions = choices.metrics, choices.columns, choices.rates
    new = "New metric …"  # plain text: no emoji font on many servers
    chosen = st.selectbox("Metric", [new, *metrics], key=f"{key}_pick")
    if not columns:
        st.info(f"No outcomes dataset is stored yet: {ui.add_data('outcomes')}.")
        return None
    key = f"{key}_{'new' if chosen == new else chosen}"
    if chosen == new:
        name = st.text_input("Name", key=f"{key}_name", help="Lower case, no spaces: revenue_28d")
        first = dataset if dataset in columns else next(iter(columns))
        spec = edits.new_metric(first, columns[first][0])
    else:
        name, spec = chosen, edits.current_metric(store, chosen)
    c1, c2, c3 = st.columns(3)
    datasets = list(columns)
    dataset = c1.selectbox(
        "Dataset",
        datasets,
        index=_at(datasets, spec.dataset),
        key=f"{key}_dataset",
    )
    choices = columns[dataset]
    column = c2.selectbox(
        "Column",
        choices,
        index=_at(choices, spec.column),
        key=f"{key}_column",
    )
    aggregation = c3.selectbox(
        "Aggregation",
        list(AGGREGATIONS),
        index=list(AGGREGATIONS).index(spec.aggregation),
        format_func=AGGREGATIONS.get,
        key=f"{key}_aggregation",
        help="How a unit's rows become its value; a ratio is Σcolumn / Σdenominator.",
    )
    denominator = None
    if aggregation == "ratio":
        denominator = c3.selectbox(
            "Denominator",
            [None, *choices],
            index=_at([None, *choices], spec.denominator),
            format_func=lambda c: c or "choose a column",
            key=f"{key}_denominator",
        )
    d1, d2, d3 = st.columns(3)
    direction = d1.radio(
        "Better when",
        ["higher", "lower"],
        index=["higher", "lower"].index(spec.direction),
        horizontal=True,
        key=f"{key}_direction",
    )
    kind = d2.selectbox(
        "Kind of value",
        list(KINDS),
        index=list(KINDS).index(spec.kind),
        format_func=KINDS.get,
        key=f"{key}_kind",
    )
    unit = d3.text_input("Unit", value=spec.unit, key=f"{key}_unit", help="currency, minutes …")
    m1, m2 = st.columns(2)
    per_unit = m1.number_input(
        "Money per unit",
        value=float(spec.value_per_unit),
        key=f"{key}_per_unit",
        help="What one unit of the metric is worth before the rate (1 for currency; "
        "1/60 turns minutes into hours).",
    )
    rates = [None, *assumptions]
    rate = m2.selectbox(
        "Rate assumption",
        rates,
        index=_at(rates, spec.rate),
        format_func=lambda r: r or "none",
        key=f"{key}_rate",
        help="A value assumption that multiplies it, e.g. loaded_hourly_rate.",
    )
    o1, o2 = st.columns([1, 2])
    owner = o1.text_input("Owner", value=spec.owner, key=f"{key}_owner")
    description = o2.text_input("Description", value=spec.description, key=f"{key}_description")
    if chosen == new and not name.strip():
        st.caption("Give the new metric a name, and Impact checks it as you fill it in.")
        return None
    _propose(
        lambda: edits.propose_metric(
            store,
            name,
            edits.edited(
                spec,
                dataset=dataset,
                column=column,
                aggregation=aggregation,
                denominator=denominator,
                direction=direction,
                kind=kind,
                unit=unit,
                value_per_unit=per_unit,
                rate=rate,
                owner=owner,
                description=description,
            ),
            counted=_counted_now,
            stored=_stored_now,
        ),
        "define_metric",
        key,
    )
    return None if chosen == new else chosen


def _propose(build: Callable[[], edits.Proposal], action: str, key: str) -> None:
    try:
        proposal = build()
    except ImpactError as exc:
        st.error(ui.escape(exc))
        return
    review(proposal, action, key)


def experiment_editor(name: str, metrics: list[str], key: str = "study_edit") -> None:
    """An A/B study's definition: control arm, split, window, metrics and decision rules."""
    store = ui.store()
    spec = edits.current_study(store, name)
    key = f"{key}_{name}"
    if not metrics:
        st.warning("No metric is defined yet: define one on the Metrics page, then pick it here.")
    arms = list(spec.arms)
    c1, c2, c3 = st.columns(3)
    control = c1.selectbox(
        "Control arm",
        arms,
        index=_at(arms, spec.control_arm),
        key=f"{key}_control",
    )
    window = c2.number_input(
        "Analysis window (days)",
        min_value=1,
        value=int(spec.window_days),
        key=f"{key}_window",
        help="Outcomes count from a unit's assignment to this many days after it.",
    )
    choices = [None, *metrics]
    primary = c3.selectbox(
        "Primary metric",
        choices,
        index=_at(choices, spec.primary_metric),
        format_func=lambda m: m or "choose a metric",
        key=f"{key}_primary",
        help="The metric the verdict and the money read.",
    )
    st.markdown("**Planned split** (shares of units per arm; they add to 1)")
    split_cols = st.columns(max(len(arms), 1))
    planned = spec.planned_split or {a: 1 / len(arms) for a in arms}
    split = {
        arm: col.number_input(
            ui.escape(arm),  # a label is Markdown: arm names are users' text
            min_value=0.0,
            max_value=1.0,
            value=float(planned.get(arm, 0.0)),
            step=0.05,
            key=f"{key}_split_{arm}",
        )
        for arm, col in zip(arms, split_cols, strict=False)
    }
    g1, g2 = st.columns(2)
    guard_names = g1.multiselect(
        "Guardrails",
        [m for m in metrics if m != primary],
        default=[m for m in spec.guardrails if m in metrics and m != primary],
        key=f"{key}_guardrails",
        help="Metrics that must not get worse by more than their tolerance.",
    )
    guardrails = {
        m: g1.number_input(
            f"{ui.escape(m)}: tolerated degradation (metric units)",
            min_value=0.0,
            value=float(spec.guardrails.get(m) or 0.0),
            key=f"{key}_tol_{m}",
        )
        for m in guard_names
    }
    secondary = g2.multiselect(
        "Secondary metrics",
        [m for m in metrics if m != primary],
        default=[m for m in spec.secondary_metrics if m in metrics and m != primary],
        key=f"{key}_secondary",
    )
    r1, r2, r3 = st.columns(3)
    alpha = _alpha_input(r1, spec, key)
    correction = r2.selectbox(
        "Multiple-comparison correction",
        list(CORRECTIONS),
        index=list(CORRECTIONS).index(spec.correction),
        format_func=CORRECTIONS.get,
        key=f"{key}_correction",
        help="Holm keeps the chance of any false win at α; Benjamini–Hochberg the share of "
        "false wins among wins.",
    )
    sequential = r3.toggle(
        "Always-valid intervals",
        value=spec.sequential,
        key=f"{key}_sequential",
        help="Valid however often the results are looked at (peeking allowed).",
    )
    cuped = r3.toggle(
        "CUPED",
        value=spec.cuped,
        key=f"{key}_cuped",
        help="Adjusts for each unit's pre-period value: same effect, narrower interval.",
    )
    _propose(
        lambda: edits.propose_study(
            store,
            name,
            edits.edited(
                spec,
                control_arm=control,
                window_days=int(window),
                primary_metric=primary,
                planned_split=split,
                guardrails=guardrails,
                secondary_metrics=secondary,
                alpha=alpha,
                correction=correction,
                sequential=sequential,
                cuped=cuped,
            ),
            counted=_counted_now,
            stored=_stored_now,
        ),
        "define_study",
        key,
    )


ROLLOUT_CONTROLS = {"never": "never-treated units", "notyet": "not-yet-treated units"}
ESTIMATORS = {
    None: "chosen from the design",
    "twfe": "two-way fixed effects",
    "2x2": "2×2 difference in differences",
    "event": "event study",
    "cs": "Callaway–Sant'Anna",
}


def rollout_editor(
    name: str, metrics: list[str], segments: list[str], key: str = "rollout_edit"
) -> None:
    """A rollout study's definition: metric, period, clusters, control group, estimator."""
    store = ui.store()
    spec = edits.current_study(store, name)
    key = f"{key}_{name}"
    if not metrics:
        st.warning("No metric is defined yet: define one on the Metrics page, then pick it here.")
    c1, c2, c3 = st.columns(3)
    choices = [None, *metrics]
    metric = c1.selectbox(
        "Metric",
        choices,
        index=_at(choices, spec.metric),
        format_func=lambda m: m or "choose a metric",
        key=f"{key}_metric",
    )
    periods = ["day", "week", "month"]
    period = c2.selectbox("Period", periods, index=periods.index(spec.period), key=f"{key}_period")
    clusters = ["unit", *segments]
    cluster = c3.selectbox(
        "Cluster by",
        clusters,
        index=_at(clusters, spec.cluster),
        key=f"{key}_cluster",
        help="Standard errors allow units of one cluster (e.g. a region) to move together.",
    )
    d1, d2, d3 = st.columns(3)
    control = d1.selectbox(
        "Control group",
        list(ROLLOUT_CONTROLS),
        index=list(ROLLOUT_CONTROLS).index(spec.control_group),
        format_func=ROLLOUT_CONTROLS.get,
        key=f"{key}_control",
    )
    estimator = d2.selectbox(
        "Estimator",
        list(ESTIMATORS),
        index=list(ESTIMATORS).index(spec.estimator),
        format_func=ESTIMATORS.get,
        key=f"{key}_estimator",
    )
    alpha = _alpha_input(d3, spec, key)
    _propose(
        lambda: edits.propose_study(
            store,
            name,
            edits.edited(
                spec,
                metric=metric,
                period=period,
                cluster=cluster,
                control_group=control,
                estimator=estimator,
                alpha=alpha,
            ),
            counted=_counted_now,
            stored=_stored_now,
        ),
        "define_study",
        key,
    )


def history_table(kind: str, name: str, key: str) -> None:
    """The definition's versions (who, when, old → new), behind a checkbox so the page's
    own tables stay first."""
    if not st.checkbox("Show its versions", key=f"{key}_versions"):
        return
    rows = edits.history(ui.store(), kind, name)
    if rows:
        ui.table(
            pd.DataFrame(rows), hide_index=True, column_config={"changed at": ui.when("changed at")}
        )
