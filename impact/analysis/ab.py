"""Experiment readouts for stored A/B studies and for files: what pages, CLI and reports call."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from impact.analysis.readiness import readiness_caveats
from impact.catalog import MetricDefinition, Study
from impact.errors import ImpactError, InvalidInput
from impact.options import ReadoutOptions
from impact.queries.ab import MetricSource, arm_stats, enrolment, experiment_segments, segment_stats
from impact.queries.ab_files import stats_from_rows, stats_from_summary
from impact.stats.estimate import Caveat, Estimate
from impact.stats.experiment import MetricInput, Readout, read_experiment
from impact.stats.multiple import correct
from impact.store import Store
from impact.vocabulary import Direction, MetricAggregation


@dataclass(frozen=True)
class ExperimentReadout:
    study: Study
    readout: Readout
    options: ReadoutOptions
    study_version: int = 1  # the definitions the readout used
    metric_versions: dict[str, int] = field(default_factory=dict)


def study_options(store: Store, experiment: str) -> ReadoutOptions:
    """The readout options a study stores (its defaults for the page and the CLI)."""
    return store.catalog.study(experiment).options.readout


def experiment_readout(
    store: Store,
    experiment: str | Study,
    options: ReadoutOptions | None = None,
    *,
    metrics: list[str] | None = None,
    targets: dict[str, float] | None = None,
) -> ExperimentReadout:
    """Every arm against control on the study's primary, secondary and guardrail metrics
    (or only `metrics`, each corrected within its whole family, so that its numbers are
    the same whichever page asks); `options` default to the study's stored ones."""
    study = experiment if isinstance(experiment, Study) else store.catalog.study(experiment)
    if study.kind != "ab":
        raise InvalidInput(f"{study.name!r} is a rollout study; use the rollout readout.")
    settings = study.options
    options = options or settings.readout
    wanted = metrics or _study_metrics(study)
    if not wanted:
        raise InvalidInput(f"Study {study.name!r} names no metrics; set a primary metric.")
    families = {correction_family(study, m) for m in wanted}
    names = list(wanted) + [
        m
        for m in _study_metrics(study)
        if m not in wanted and correction_family(study, m) in families
    ]
    targets = {**settings.target_effect, **(targets or {})}
    definitions = _definitions(store, names)
    inputs = [
        MetricInput(
            name=name,
            arms=arm_stats(
                store.warehouse,
                study.name,
                _source(definitions[name]),
                window_days=study.analysis_window_days,
                cap=options.cap,
                arms=study.arms,
            ),
            aggregation=definitions[name].aggregation,
            direction=definitions[name].direction,
            guardrail_tolerance=(
                settings.guardrail_tolerance.get(name, 0.0)
                if name in study.guardrail_metrics
                else None
            ),
            target_effect=targets.get(name),
            family=correction_family(study, name),
        )
        for name in names
    ]
    units, days = enrolment(store.warehouse, study.name)
    readout = read_experiment(
        inputs,
        study.control_arm or "control",
        options,
        planned_split=study.planned_split or None,
        units_per_day=units / days if units else None,
    )
    versions = {n: definitions[n].version or 1 for n in names}
    readout = _only(readout, set(wanted))
    readout.warnings += readiness_caveats(store, study)
    return ExperimentReadout(study, readout, options, study.version or 1, versions)


def correction_family(study: Study, metric: str) -> str:
    """The one rule for which comparisons a correction adjusts together, for every page,
    the CLI, the verdicts and the money: the primary metric's arms are one family (the
    decision); the secondary metrics' arms × metrics another; a guardrail is a one-sided
    check of its own, not corrected; any other metric asked for is its own family."""
    if metric == study.primary_metric:
        return "primary metric"
    if metric in study.secondary_metrics:
        return "secondary metrics"
    if metric in study.guardrail_metrics:
        return "guardrail"
    return metric


def _only(readout: Readout, metrics: set[str]) -> Readout:
    """The readout restricted to `metrics` (the rest were read to complete their family)."""
    return replace(
        readout,
        estimates=[e for e in readout.estimates if e.metric in metrics],
        guardrails=[e for e in readout.guardrails if e.metric in metrics],
        power=[p for p in readout.power if p.metric in metrics],
        not_estimable=[x for x in readout.not_estimable if x.metric in metrics],
    )


def segment_readout(
    store: Store,
    experiment: str,
    metric: str,
    segment: str,
    options: ReadoutOptions | None = None,
    *,
    top: int = 5,
) -> list[Estimate]:
    """The metric per segment value (top values by size plus "other"), corrected over
    segments × arms, each marked exploratory."""
    study = store.catalog.study(experiment)
    options = options or study.options.readout
    definition = store.catalog.metric(metric)
    parts = segment_stats(
        store.warehouse,
        experiment,
        _source(definition),
        window_days=study.analysis_window_days,
        cap=options.cap,
        segment=segment,
        top_segments=top,
    )
    uncorrected = replace(options, correction="none")
    estimates: list[Estimate] = []
    for value, arms in sorted(parts.items()):
        metric_input = MetricInput(metric, arms, definition.aggregation, definition.direction)
        try:
            result = read_experiment([metric_input], study.control_arm or "control", uncorrected)
        except ImpactError:  # e.g. no control units in this segment: nothing to compare
            continue
        estimates += [
            replace(e, label=f"{segment}={value}: {e.label}", segment=value)
            for e in result.estimates
        ]
    corrected = correct(estimates, options.correction, f"{segment} segments × arms for {metric}")
    warning = Caveat(
        "exploratory",
        "Segments are exploratory: many comparisons, chosen after the fact; confirm "
        "a segment effect with a new experiment before acting on it.",
    )
    return [e.with_caveats([warning]) for e in corrected]


def file_readout(
    options: ReadoutOptions,
    *,
    rows: Path | None = None,
    summary: Path | None = None,
    arm: str = "arm",
    metric: str | None = None,
    covariate: str | None = None,
    denominator: str | None = None,
    aggregation: MetricAggregation = "mean",
    control: str = "control",
    planned_split: dict[str, float] | None = None,
    guardrail_tolerance: float | None = None,
    direction: Direction = "higher",
    target_effect: float | None = None,
) -> Readout:
    """A readout of one metric from a file: unit rows (`rows`, with the arm and metric
    columns) or per-arm summaries (`summary`). Without a planned split the sample-ratio
    check assumes equal arms, and says so; a `guardrail_tolerance` makes the metric a
    guardrail; `target_effect` (metric units) sizes the sample."""
    second = "denominator" if aggregation == "ratio" else ("covariate" if options.cuped else None)
    caveats: list[Caveat] = []
    if rows is not None:
        column = denominator if second == "denominator" else covariate if second else None
        found = stats_from_rows(rows, arm, metric, second=column)
        arms, name = found.arms, metric
        caveats += _left_out(found, arm, metric, second, column)
    else:
        arms = stats_from_summary(summary, second)
        name = metric or summary.stem
    unplanned = [a for a in arms if planned_split and a not in planned_split]
    if unplanned:
        raise InvalidInput(
            f"The planned split names {', '.join(planned_split)} but the file's arms are "
            f"{', '.join(arms)}; give every arm a share (--planned {unplanned[0]}=…)."
        )
    if not planned_split:
        planned_split = dict.fromkeys(arms, 1.0)
        caveats.append(
            Caveat(
                "assumption",
                "No planned split given: the sample-ratio check assumes equal arms "
                "(give the real one, e.g. --planned control=0.5,treatment=0.5).",
            )
        )
    metric_input = MetricInput(
        name,
        arms,
        aggregation,
        direction,
        guardrail_tolerance=guardrail_tolerance,
        target_effect=target_effect,
    )
    readout = read_experiment([metric_input], control, options, planned_split=planned_split)
    readout.warnings += caveats
    return readout


def _left_out(found, arm: str, metric: str, second: str | None, column: str | None) -> list[Caveat]:
    """Rows with blank cells are not units with 0: say how many were left out and why."""

    def counted(counts: dict[str, int], what: str) -> str:
        per_arm = ", ".join(f"{a} {k:,}" for a, k in counts.items())
        return f"{sum(counts.values()):,} row(s) with a blank {what} ({per_arm})"

    reasons = []
    if found.blank_metric:
        reasons.append(counted(found.blank_metric, metric))
    if found.blank_second:
        reasons.append(counted(found.blank_second, f"{second} {column}"))
    if found.blank_arm:
        reasons.append(f"{found.blank_arm:,} row(s) with a blank {arm}")
    if not reasons:
        return []
    return [
        Caveat(
            "dropped_units",
            f"Left out {'; '.join(reasons)}: a blank cell is a missing value, not 0. "
            "Fill the cells in the file if they mean 0.",
        )
    ]


def readout_frame(result: ExperimentReadout | Readout) -> pd.DataFrame:
    """Arms × metrics table for display and download: one tidy row per estimate."""
    readout = result.readout if isinstance(result, ExperimentReadout) else result
    rows = [
        {"kind": kind, **e.tidy()}
        for kind, estimates in (("primary", readout.estimates), ("guardrail", readout.guardrails))
        for e in estimates
    ]
    frame = pd.DataFrame(rows).rename(columns={"label": "comparison", "baseline": "control_mean"})
    if not frame.empty:
        frame["raw_p_value"] = frame["raw_p_value"].fillna(frame["p_value"])
        if "interval_level" not in frame:  # uncorrected: every interval at 1 − α
            frame["interval_level"] = None
        frame["interval_level"] = frame["interval_level"].fillna(1 - frame["alpha"])
        for column in ("variance_reduction", "guardrail_passed"):
            if column not in frame:
                frame[column] = None
        if isinstance(result, ExperimentReadout):  # the definitions it used
            frame["metric_version"] = frame["metric"].map(result.metric_versions)
            frame["study_version"] = result.study_version
    return frame


def tidy_frame(estimates: list[Estimate]) -> pd.DataFrame:
    """Estimates as a table, one tidy row each."""
    return pd.DataFrame([e.tidy() for e in estimates])


def _definitions(store: Store, names: list[str]) -> dict[str, MetricDefinition]:
    defined = {m.name: m for m in store.catalog.metrics()}
    for name in names:
        if name not in defined:
            store.catalog.metric(name)  # raises NotFound, listing the defined metrics
    return defined


def _source(definition: MetricDefinition) -> MetricSource:
    return MetricSource(
        definition.dataset, definition.column, definition.aggregation, definition.denominator
    )


def _study_metrics(study: Study) -> list[str]:
    names = [study.primary_metric] if study.primary_metric else []
    names += [m for m in study.secondary_metrics + study.guardrail_metrics if m not in names]
    return names


def segment_names(store: Store, experiment: str) -> list[str]:
    return experiment_segments(store.warehouse, experiment)
