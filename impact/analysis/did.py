"""Rollout readouts: difference-in-differences for models switched on unit by unit.

`rollout_readout` reads a stored study, `file_readout` a file of unit-period rows. Both
open a `Panel` (impact.queries.did.panel) and run `_readout` on it: the chosen estimator
(impact.stats.did), then the caveats every rollout readout carries, about the panel's
shape, its clusters, pre-trends and a placebo adoption. How to read is one
`RolloutOptions`; a stored study's own are the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from impact.analysis.readiness import readiness_caveats
from impact.catalog import Study
from impact.errors import InvalidInput, NotEstimable
from impact.options import RolloutOptions
from impact.queries.did.file import PanelFile
from impact.queries.did.panel import Panel, PanelFacts
from impact.queries.did.stored import PanelSource, cluster_segments
from impact.stats.did.boot import more_cautious, wild_cluster_bootstrap
from impact.stats.did.checks import Check
from impact.stats.did.cs import aggregate, group_time, pretest
from impact.stats.did.event import EventStudy, event_study
from impact.stats.did.twfe import FEW_CLUSTERS, did_2x2, twfe
from impact.stats.estimate import Caveat, Estimate
from impact.store import Store
from impact.vocabulary import EffectAggregation, choices

FEW_TREATED = 5
BOOTSTRAP_MAX_CLUSTERS = 200  # its G × G sums and 9,999 draws stay within seconds
PLACEBO_SHIFT = 2  # periods the placebo adoption comes early


@dataclass(frozen=True)
class Aggregation:
    """One Callaway–Sant'Anna aggregation: its overall effect and its parts."""

    estimate: Estimate
    table: pd.DataFrame  # by event time, group or period (simple: the post ATT(g, t))


@dataclass(frozen=True)
class RolloutReadout:
    estimate: Estimate
    event_time: pd.DataFrame | None = None  # effect by periods since adoption
    group_time: pd.DataFrame | None = None  # ATT(g, t), Callaway–Sant'Anna only
    facts: PanelFacts | None = None
    # Pre-trends, the Callaway–Sant'Anna pre-test and the placebo, shown passed or failed.
    checks: tuple[Check, ...] = ()
    aggregations: dict[EffectAggregation, Aggregation] = field(default_factory=dict)  # cs
    study_version: int | None = None  # a stored study: the definitions the readout used
    metric_version: int | None = None


def rollout_options(store: Store, study: str, **changes) -> RolloutOptions:
    """A study's stored rollout options (the defaults where it stores none), changed."""
    return replace(store.catalog.study(study).options.rollout, **changes)


def rollout_readout(
    store: Store,
    study: str | Study,
    options: RolloutOptions | None = None,
    *,
    metric: str | None = None,
) -> RolloutReadout:
    """The model's effect on a rollout study's metric (default: its primary metric).
    `options` default to the study's own, so every readout of it (money included) agrees;
    the estimator defaults to Callaway–Sant'Anna when adoption dates differ, else TWFE."""
    record = study if isinstance(study, Study) else store.catalog.study(study)
    study = record.name
    if record.kind != "did":
        raise InvalidInput(f"{study!r} is an A/B study; use the experiment readout.")
    name = metric or record.primary_metric
    if not name:
        raise InvalidInput(f"Study {study!r} names no metric; set a primary metric.")
    definition = store.catalog.metric(name)
    if definition.aggregation not in ("sum", "mean", "proportion"):
        raise InvalidInput(f"Rollout panels take sum, mean or proportion metrics, not {name!r}.")
    options = options or record.options.rollout
    source = PanelSource(
        study,
        definition.dataset,
        definition.column,
        record.period,
        "sum" if definition.aggregation == "sum" else "mean",
        None if options.cluster == "unit" else options.cluster,
    )
    with Panel.open(store.warehouse, source) as panel:
        if not panel.facts().cells:
            raise NotEstimable(f"No {name!r} outcomes belong to units of study {study!r}.")
        result = _readout(panel, options, label=study, metric=name)
        outside = panel.adoption_outside()
    caveats = []
    if outside["before"]:
        message = (
            f"{outside['before']} unit(s) adopted before the first period with data: there "
            "is nothing to compare their after with."
        )
        caveats.append(Caveat("adoption_outside", message))
    if outside["after"]:
        message = (
            f"{outside['after']} unit(s) adopt after the last period with data; they count "
            "as not yet treated."
        )
        caveats.append(Caveat("adoption_outside", message))
    caveats += readiness_caveats(store, record)
    return replace(
        result,
        estimate=result.estimate.with_caveats(caveats),
        study_version=record.version or 1,
        metric_version=definition.version or 1,
    )


def file_readout(source: PanelFile, options: RolloutOptions | None = None) -> RolloutReadout:
    """The effect in a file of unit-period rows (`source` names its columns);
    `options.cluster` names a column holding whole units, or "unit"."""
    options = options or RolloutOptions()
    column = None if options.cluster in ("unit", source.unit) else options.cluster
    if column is None:
        options = replace(options, cluster="unit")
    with Panel.from_file(source, column) as panel:
        return _readout(panel, options, label=source.name, metric=source.outcome)


def _readout(panel: Panel, options: RolloutOptions, *, label: str, metric: str) -> RolloutReadout:
    """The chosen estimator on `panel`, with every check and caveat it owes its reader."""
    facts = panel.facts()
    estimator = options.estimator or ("cs" if facts.cohorts > 1 else "twfe")
    if facts.treated_units == 0:
        raise NotEstimable("No unit is treated during the panel; there is no effect to measure.")
    if options.aggregate != "simple" and estimator != "cs":
        raise InvalidInput(
            f"The {options.aggregate!r} aggregation is Callaway–Sant'Anna's; choose the "
            "estimator cs, or the simple aggregation."
        )
    caveats = _panel_caveats(facts, estimator)
    kw = {"alpha": options.alpha, "label": label, "metric": metric, "cluster": options.cluster}
    es, es_caveats, es_error = _event_study(panel, options, kw)
    caveats += es_caveats
    checks: list[Check] = []
    event_time = att_gt = None
    aggregations: dict = {}
    if estimator == "cs":
        gt = group_time(panel.cohorts(), options.control, alpha=options.alpha)
        for how in choices(EffectAggregation):
            result = aggregate(gt, how, **kw)
            aggregations[how] = Aggregation(result.estimate, result.table)
        estimate = aggregations[options.aggregate].estimate
        event_time = aggregations["dynamic"].table
        att_gt = gt.cells.drop(columns=["group", "period"]).rename(
            columns={"group_label": "group", "period_label": "period"}
        )
        checks.append(pretest(gt, options.alpha))
        caveats += _failed_pretest(checks[-1])
    elif estimator == "2x2":
        estimate = did_2x2(*panel.cells(), **kw)
    elif estimator == "event":
        if es is None:
            raise es_error
        estimate, event_time = es.estimate, es.table
    else:
        estimate, twfe_caveats = _twfe(panel, facts, options, kw)
        caveats += twfe_caveats
    if estimate.clusters < FEW_CLUSTERS and estimator in ("cs", "event"):
        message = (
            f"Only {estimate.clusters} clusters ({options.cluster}s): intervals clustered by "
            f"{options.cluster} are unreliable below about {FEW_CLUSTERS}; the TWFE readout "
            "carries a wild cluster bootstrap."
        )
        caveats.append(Caveat("few_clusters", message))
    if options.estimator is None:  # chosen by the data: say so where the method is named
        why = (
            f"adoption dates differ ({facts.cohorts} cohorts), where TWFE is biased"
            if estimator == "cs"
            else "every treated unit adopts at once"
        )
        estimate = replace(
            estimate, method=f"{estimate.method}; estimator chosen by the data: {why}"
        )
    checks.insert(0, _pretrend_check(es, es_error, options.alpha))
    if estimator != "event" and es is not None and es.leads:
        # Without leads there is nothing to test: only the event study's own readout says so.
        caveats += es.estimate.caveats("pretrend")
    placebo = _placebo(panel, options.alpha)
    checks.append(placebo)
    caveats += _failed_placebo(placebo)
    return RolloutReadout(
        estimate.with_caveats(caveats), event_time, att_gt, facts, tuple(checks), aggregations
    )


def _panel_caveats(facts: PanelFacts, estimator: str) -> list[Caveat]:
    caveats = []
    expected = facts.units * facts.periods
    if facts.cells < expected:
        message = (
            f"Unbalanced panel: {expected - facts.cells} of {expected} unit-period cells "
            "have no data."
        )
        caveats.append(Caveat("unbalanced", message))
    if facts.never_treated == 0:
        message = (
            "No never-treated units: late adopters are the only comparison, and the last "
            "cohort has none."
        )
        caveats.append(Caveat("controls", message))
    if facts.treated_units < FEW_TREATED:
        message = (
            f"Only {facts.treated_units} treated unit(s): the treated group is too small "
            "for reliable intervals, whatever the estimator."
        )
        caveats.append(Caveat("few_treated", message))
    if facts.cohorts > 1 and estimator in ("twfe", "2x2"):
        message = (
            "Adoption dates differ: with effects that change over time, TWFE and the 2×2 "
            "are biased; read the Callaway–Sant'Anna estimate (--estimator cs)."
        )
        caveats.append(Caveat("staggered", message))
    return caveats


def _twfe(
    panel: Panel, facts: PanelFacts, options: RolloutOptions, kw: dict
) -> tuple[Estimate, list[Caveat]]:
    """TWFE, its interval from the wild cluster bootstrap when clusters (or treated ones)
    are few and the panel allows it."""
    moments = panel.within()
    estimate = twfe(moments, **kw)
    can_boot = moments.balanced and moments.clusters <= BOOTSTRAP_MAX_CLUSTERS
    few_treated = facts.treated_clusters < FEW_TREATED
    caveats = []
    if few_treated and moments.clusters >= FEW_CLUSTERS:
        after = (
            "the p-value and interval shown are the more cautious of the wild cluster "
            "bootstrap's and the cluster-robust one's, both only approximate here."
            if can_boot
            else "read them with caution."
        )
        message = (
            f"Only {facts.treated_clusters} treated cluster(s) ({options.cluster}s): "
            "cluster-robust intervals understate the uncertainty when few clusters are "
            f"treated; {after}"
        )
        caveats.append(Caveat("few_treated", message))
    if can_boot and (moments.clusters < FEW_CLUSTERS or few_treated):
        few = (
            f"only {moments.clusters} clusters ({options.cluster}s)"
            if moments.clusters < FEW_CLUSTERS
            else f"only {facts.treated_clusters} treated cluster(s)"
        )
        estimate = _bootstrapped(estimate, panel, options.alpha, few)
        if moments.clusters < FEW_CLUSTERS:  # say what is shown, not where to look
            message = (
                f"Only {moments.clusters} clusters ({options.cluster}s): cluster-robust "
                f"intervals are unreliable below about {FEW_CLUSTERS}, so the p-value and "
                "interval shown were chosen by the data: the more cautious of the wild "
                "cluster bootstrap's and the cluster-robust one's."
            )
            kept = tuple(w for w in estimate.warnings if w.kind != "few_clusters")
            estimate = replace(estimate, warnings=kept)
            caveats.append(Caveat("few_clusters", message))
    elif moments.clusters < FEW_CLUSTERS:
        message = (
            "The wild cluster bootstrap needs a balanced panel here; the interval shown "
            "is the cluster-robust one, likely too narrow."
        )
        caveats.append(Caveat("bootstrap", message))
    return estimate, caveats


def _bootstrapped(estimate: Estimate, panel: Panel, alpha: float, few: str) -> Estimate:
    """The more cautious of the wild cluster bootstrap and CR1 with t(G − 1): the larger
    p-value and the hull of the two intervals (they agree: τ0 outside the hull is rejected
    by both). Each alone rejects a true null too often in some few-cluster designs — the
    bootstrap with half of 8 clusters treated (6.5%), CR1 with 2 of 8 treated (10.7%);
    the more cautious stays at 4.7% and 1.5% (2,000 panels, scripts/did_few_clusters.py)."""
    cross = panel.cluster_cross()
    boot = wild_cluster_bootstrap(
        cross.cy,
        cross.cd,
        estimate.small_sample_factor,
        own_y=cross.own_y,
        own_d=cross.own_d,
        units=cross.units,
        alpha=alpha,
    )
    weights = (
        "Webb's six-point weights, as advised below 12 clusters"
        if boot.weights == "webb"
        else "Rademacher weights"
    )
    patterns = (
        f"all {boot.replications:,} weight patterns enumerated"
        if boot.enumerated
        else f"{boot.replications:,} random draws"
    )
    p_value, low, high, boot_decides = more_cautious(
        estimate.p_value, (estimate.ci_low, estimate.ci_high), boot
    )
    at_resolution = boot_decides and boot.at_resolution
    bound = f"; p ≤ {_fraction(boot.resolution)}, the finest these patterns show" * at_resolution
    which = "the bootstrap's" if boot_decides else f"CR1's with t({estimate.clusters - 1})"
    return replace(
        estimate,
        p_value=p_value,
        ci_low=low,
        ci_high=high,
        method=estimate.method + f"; with {few} the p-value and interval are the more "
        "cautious of the wild cluster bootstrap "
        f"({weights}, null imposed, {patterns}{bound}) and the cluster-robust t, either of "
        f"which alone can reject too often with so few clusters (here {which})",
        bootstrap_draws=boot.replications,
        details={
            **estimate.details,
            "analytic_ci": (estimate.ci_low, estimate.ci_high),
            "analytic_p_value": estimate.p_value,
            "bootstrap_ci": (boot.ci_low, boot.ci_high),
            "bootstrap_p_value": boot.p_value,
            "bootstrap_weights": boot.weights,
            "bootstrap_enumerated": boot.enumerated,
            "p_resolution": boot.resolution,  # the bootstrap's p is never shown below it
            "p_at_resolution": at_resolution,  # p is an upper bound, "p ≤ resolution"
        },
    )


def _fraction(x: float) -> str:
    """1/128 rather than 0.0078125."""
    inverse = 1 / x
    return f"1/{round(inverse):,}" if abs(inverse - round(inverse)) < 1e-9 else f"{x:.2g}"


def p_text(estimate: Estimate) -> str:
    """ "p = 0.031", or "p ≤ 1/128" when a bootstrap's patterns cannot show a smaller one."""
    if estimate.details.get("p_at_resolution"):
        return f"p ≤ {_fraction(estimate.details['p_resolution'])}"
    return f"p = {estimate.p_value:.3g}"


def _windows(leads: int, lags: int) -> list[tuple[int, int]]:
    """(leads, lags) to try, widest first: the asked-for window, then smaller ones."""
    pairs = [(a, b) for a in range(leads, 1, -1) for b in range(lags, -1, -1)]
    return sorted(pairs, key=lambda p: (-(p[0] + p[1]), -p[0]))


def _event_study(
    panel: Panel, options: RolloutOptions, kw: dict
) -> tuple[EventStudy | None, list[Caveat], NotEstimable | None]:
    """The event study with the options' leads and lags, else the widest window the panel
    can estimate (and a caveat saying so); None and the first error when none can be."""
    first: NotEstimable | None = None
    for leads, lags in _windows(options.leads, options.lags):
        try:
            es = event_study(*panel.event(leads, lags), **kw)
        except NotEstimable as exc:
            first = first or exc
            continue
        if (leads, lags) == (options.leads, options.lags):
            return es, [], None
        message = (
            f"The event study (whose leads are the pre-trend check) cannot be estimated "
            f"with {options.leads} leads and "
            f"{options.lags} lags here (too few periods before or after adoption, or event "
            f"times the fixed effects absorb); it uses {leads} leads and {lags} lags."
        )
        return (
            replace(es, estimate=es.estimate.with_warning("event_window", message)),
            [Caveat("event_window", message)],
            None,
        )
    return None, [], first


PRETREND = "pre-trends (event-study leads)"


def _pretrend_check(es: EventStudy | None, error: NotEstimable | None, alpha: float) -> Check:
    if es is None:
        return Check.not_run(PRETREND, "every lead is 0", alpha, str(error))
    hypothesis = f"all {es.leads} leads before −1 are 0"
    if not es.leads or not np.isfinite(es.pretrend_p):
        notes = es.estimate.caveats("pretrend")
        return Check.not_run(PRETREND, hypothesis, alpha, notes[0] if notes else "")
    g = es.estimate.clusters
    f = es.pretrend_wald / es.leads
    return Check(PRETREND, hypothesis, "F", f, (es.leads, g - 1), es.pretrend_p, alpha)


def _failed_pretest(check: Check) -> list[Caveat]:
    if check.passed is not False:
        return []
    message = (
        f"Pre-test of parallel trends failed ({check.statistic_name} = {check.statistic:.2f}, "
        f"p = {check.p_value:.3f}): {check.hypothesis} is rejected, so treated and control "
        "units already diverged before adoption."
    )
    return [Caveat("pretrend", message)]


PLACEBO = "placebo adoption"


def _placebo(panel: Panel, alpha: float) -> Check:
    hypothesis = f"a fake adoption {PLACEBO_SHIFT} periods early has no effect"
    try:
        fake = twfe(panel.placebo(PLACEBO_SHIFT), alpha=alpha)
    except NotEstimable as exc:
        return Check.not_run(PLACEBO, hypothesis, alpha, str(exc))
    t = fake.effect / fake.se if fake.se > 0 else np.nan
    return Check(
        PLACEBO, hypothesis, "t", t, (fake.df,), fake.p_value, alpha, f"effect {fake.effect:+.3g}"
    )


def _failed_placebo(check: Check) -> list[Caveat]:
    if check.passed is not False:
        return []
    message = (
        f"Placebo test failed: a fake adoption {PLACEBO_SHIFT} periods early shows an "
        f"{check.note} (p = {check.p_value:.3f}); outcomes moved before the model did."
    )
    return [Caveat("placebo", message)]


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


def checks_frame(readout: RolloutReadout) -> pd.DataFrame:
    """One row per check, passed, failed or not run, for the Rollouts page."""
    columns = ["check", "null hypothesis", "statistic", "p_value", "result", "note"]
    rows = [
        (
            c.name,
            c.hypothesis,
            f"{c.statistic_name}({', '.join(f'{d:g}' for d in c.df if d is not None)}) = "
            f"{c.statistic:.3g}"
            if c.ran
            else "",
            c.p_value if c.ran else None,
            c.outcome,
            c.note,
        )
        for c in readout.checks
    ]
    return pd.DataFrame(rows, columns=columns)


def aggregations_frame(readout: RolloutReadout) -> pd.DataFrame:
    """Callaway–Sant'Anna's four aggregations, one row each (empty for other estimators)."""
    rows = [
        {"aggregation": how, **{k: a.estimate.tidy()[k] for k in _AGG_COLUMNS}}
        for how, a in readout.aggregations.items()
    ]
    return pd.DataFrame(rows, columns=["aggregation", *_AGG_COLUMNS])


_AGG_COLUMNS = ("effect", "se", "ci_low", "ci_high", "p_value")
