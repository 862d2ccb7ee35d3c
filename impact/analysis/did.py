"""Rollout readouts: difference-in-differences for models switched on unit by unit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from impact.errors import InvalidInput, NotEstimable
from impact.queries.did import (
    PanelSource,
    adoption_outside,
    cluster_segments,
    create_panel,
    panel_facts,
)
from impact.queries.did_cohorts import panel_cohort_moments
from impact.queries.did_event import panel_event_inputs, panel_placebo_inputs
from impact.queries.did_within import (
    ClusterCross,
    panel_cell_groups,
    panel_cluster_cross,
    panel_within_moments,
)
from impact.stats.did import did_2x2, twfe
from impact.stats.did_boot import wild_cluster_bootstrap
from impact.stats.did_cs import aggregate, group_time
from impact.stats.did_event import event_study
from impact.stats.estimate import Estimate
from impact.store import Store
from impact.vocabulary import check_choice
from impact.warehouse import Transaction

Estimator = Literal["twfe", "2x2", "event", "cs"]
Control = Literal["never", "notyet"]
FEW_CLUSTERS = 30  # below this, cluster-robust intervals are too narrow
FEW_TREATED = 5
BOOTSTRAP_MAX_CLUSTERS = 200  # its G × G sums and 9,999 draws stay within seconds


@dataclass(frozen=True)
class RolloutReadout:
    estimate: Estimate
    event_time: pd.DataFrame | None = None  # effect by periods since adoption
    group_time: pd.DataFrame | None = None  # ATT(g, t), Callaway–Sant'Anna only
    facts: dict | None = None


def rollout_readout(
    store: Store,
    study: str,
    *,
    estimator: Estimator | None = None,
    control: Control = "notyet",
    metric: str | None = None,
    alpha: float = 0.05,
    leads: int = 4,
    lags: int = 4,
    cluster: str | None = None,
) -> RolloutReadout:
    """The model's effect on a rollout study's metric; `estimator` defaults to
    Callaway–Sant'Anna when adoption dates differ, else TWFE. `cluster`: a unit segment
    (e.g. region) to cluster standard errors by, or "unit"; by default the study's setting
    `cluster`, else the unit, so every readout of the study (money included) agrees."""
    record = store.catalog.study(study)
    if record.kind != "did":
        raise InvalidInput(f"{study!r} is an A/B study; use the experiment readout.")
    name = metric or record.primary_metric
    if not name:
        raise InvalidInput(f"Study {study!r} names no metric; set a primary metric.")
    definition = store.catalog.metric(name)
    if definition.aggregation not in ("sum", "mean", "proportion"):
        raise InvalidInput(f"Rollout panels take sum, mean or proportion metrics, not {name!r}.")
    aggregation = "sum" if definition.aggregation == "sum" else "mean"
    cluster = cluster or record.settings.get("cluster") or "unit"
    source = PanelSource(
        study,
        definition.dataset,
        definition.column,
        record.period,
        aggregation,
        None if cluster == "unit" else cluster,
    )
    with store.warehouse.session() as s:
        create_panel(s, source)
        if not s.scalar("SELECT count(*) FROM panel"):
            raise NotEstimable(f"No {name!r} outcomes belong to units of study {study!r}.")
        result = readout_on_panel(
            s,
            estimator,
            control,
            alpha=alpha,
            label=study,
            metric=name,
            leads=leads,
            lags=lags,
            cluster=cluster,
        )
    outside = adoption_outside(store.warehouse, source)
    notes = []
    if outside["before"]:
        notes.append(
            f"{outside['before']} unit(s) adopted before the first period with data: there "
            "is nothing to compare their after with."
        )
    if outside["after"]:
        notes.append(
            f"{outside['after']} unit(s) adopt after the last period with data; they count "
            "as not yet treated."
        )
    return replace(result, estimate=_warn(result.estimate, notes))


def readout_on_panel(
    s: Transaction,
    estimator: Estimator | None,
    control: Control = "notyet",
    *,
    alpha: float = 0.05,
    label: str = "",
    metric: str = "",
    leads: int = 4,
    lags: int = 4,
    cluster: str = "unit",
) -> RolloutReadout:
    """Every estimator on temp tables `panel` and `panel_units` (impact.queries.did) of
    session `s`; `cluster` names what panel_units.cluster holds (unit, region …)."""
    facts = panel_facts(s)
    estimator = estimator or ("cs" if facts["cohorts"] > 1 else "twfe")
    check_choice("estimator", estimator, Estimator)
    check_choice("control", control, Control)
    if facts["treated_units"] == 0:
        raise NotEstimable("No unit is treated during the panel; there is no effect to measure.")
    notes = _panel_notes(facts, estimator)
    kw = {"alpha": alpha, "label": label, "metric": metric, "cluster": cluster}
    event_table = gt_table = None
    if estimator == "cs":
        gt = group_time(panel_cohort_moments(s), control)
        estimate = aggregate(gt, "simple", **kw).estimate
        event_table = aggregate(gt, "dynamic", **kw).table
        gt_table = gt.cells.drop(columns=["group", "period"]).rename(
            columns={"group_label": "group", "period_label": "period"}
        )
    elif estimator == "2x2":
        estimate = did_2x2(*panel_cell_groups(s), **kw)
    elif estimator == "event":
        es = event_study(*panel_event_inputs(s, leads, lags), **kw)
        estimate, event_table = es.estimate, es.table
    else:
        moments, info = panel_within_moments(s)
        estimate = twfe(moments, **kw)
        can_boot = info["balanced"] and moments.clusters <= BOOTSTRAP_MAX_CLUSTERS
        few_treated = facts["treated_clusters"] < FEW_TREATED
        if few_treated and moments.clusters >= FEW_CLUSTERS:
            after = (
                "the p-value and interval shown are the wild cluster bootstrap's, itself only "
                "approximate here."
                if can_boot
                else "read them with caution."
            )
            notes.append(
                f"Only {facts['treated_clusters']} treated cluster(s) ({cluster}s): "
                "cluster-robust intervals understate the uncertainty when few clusters are "
                f"treated; {after}"
            )
        if can_boot and (moments.clusters < FEW_CLUSTERS or few_treated):
            estimate = _bootstrapped(estimate, panel_cluster_cross(s), alpha)
        elif moments.clusters < FEW_CLUSTERS:
            notes.append(
                "The wild cluster bootstrap needs a balanced panel here; the interval shown "
                "is the cluster-robust one, likely too narrow."
            )
    clusters = estimate.n.get("clusters", facts["clusters"])  # CS may drop some units
    if clusters < FEW_CLUSTERS and estimator in ("cs", "event"):
        notes.append(
            f"Only {clusters} clusters ({cluster}s): intervals clustered by {cluster} are "
            f"unreliable below about {FEW_CLUSTERS}; the TWFE readout carries a wild cluster "
            "bootstrap."
        )
    if estimator != "event":
        notes += _pretrend(s, leads, lags, alpha, cluster)
    notes += _placebo(s, alpha)  # last: it replaces the panel with its pre-period cells
    return RolloutReadout(_warn(estimate, notes), event_table, gt_table, facts)


def _panel_notes(facts: dict, estimator: str) -> list[str]:
    notes = []
    if facts["cells"] < facts["units"] * facts["periods"]:
        missing = facts["units"] * facts["periods"] - facts["cells"]
        notes.append(
            f"Unbalanced panel: {missing} of {facts['units'] * facts['periods']} unit-period "
            "cells have no data."
        )
    if facts["never_treated"] == 0:
        notes.append(
            "No never-treated units: late adopters are the only comparison, and the last "
            "cohort has none."
        )
    if facts["treated_units"] < FEW_TREATED:
        notes.append(
            f"Only {facts['treated_units']} treated unit(s): the treated group is too small "
            "for reliable intervals, whatever the estimator."
        )
    if facts["cohorts"] > 1 and estimator in ("twfe", "2x2"):
        notes.append(
            "Adoption dates differ: with effects that change over time, TWFE and the 2×2 "
            "are biased; read the Callaway–Sant'Anna estimate (--estimator cs)."
        )
    return notes


def _bootstrapped(estimate: Estimate, cross: ClusterCross, alpha: float) -> Estimate:
    boot = wild_cluster_bootstrap(
        cross.cy,
        cross.cd,
        estimate.details["small_sample_factor"],
        own_y=cross.own_y,
        own_d=cross.own_d,
        units=cross.units,
        alpha=alpha,
    )
    return replace(
        estimate,
        p_value=boot.p_value,
        ci_low=boot.ci_low,
        ci_high=boot.ci_high,
        method=estimate.method + "; wild cluster bootstrap p-value and interval "
        f"(Rademacher, null imposed, {boot.replications} draws)",
        details={
            **estimate.details,
            "analytic_ci": (estimate.ci_low, estimate.ci_high),
            "analytic_p_value": estimate.p_value,
        },
    )


def _pretrend(s: Transaction, leads: int, lags: int, alpha: float, cluster: str) -> list[str]:
    try:
        es = event_study(*panel_event_inputs(s, leads, lags), alpha=alpha, cluster=cluster)
    except NotEstimable:
        return []
    return [w for w in es.estimate.warnings if w.startswith(("Pre-trend", "Pre-trends"))]


def _placebo(s: Transaction, alpha: float, shift: int = 2) -> list[str]:
    try:
        fake = twfe(panel_placebo_inputs(s, shift)[0], alpha=alpha)
    except NotEstimable:
        return []
    if fake.p_value >= alpha:
        return []
    return [
        f"Placebo test failed: a fake adoption {shift} periods early shows an effect of "
        f"{fake.effect:+.3g} (p = {fake.p_value:.3f}); outcomes moved before the model did."
    ]


def _warn(estimate: Estimate, notes: list[str]) -> Estimate:
    merged = list(dict.fromkeys([*estimate.warnings, *notes]))
    return replace(estimate, warnings=tuple(merged))


def cluster_choices(store: Store, study: str) -> list[str]:
    """What a rollout study's standard errors can be clustered by: the unit, or a unit
    segment holding whole units (e.g. region)."""
    return ["unit", *cluster_segments(store.warehouse, study)]


def event_table(readout: RolloutReadout) -> pd.DataFrame:
    """Effect by periods since adoption with its interval, whichever estimator made it."""
    frame = readout.event_time
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["event_time", "effect", "ci_low", "ci_high"])
    frame = frame.rename(columns={"att": "effect", "coef": "effect"})
    return frame[["event_time", "effect", "ci_low", "ci_high"]]
