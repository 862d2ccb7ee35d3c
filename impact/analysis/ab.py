"""Experiment readouts for stored A/B studies: what pages, CLI and reports call."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from impact.catalog import MetricDefinition, Study
from impact.errors import ImpactError, InvalidInput
from impact.queries.ab import MetricSource, arm_summaries, assignment_counts, enrolment_days
from impact.stats.estimate import Estimate
from impact.stats.experiment import MetricInput, Readout, ReadoutOptions, read_experiment
from impact.stats.multiple import correct
from impact.store import Store


@dataclass(frozen=True)
class ExperimentReadout:
    study: Study
    readout: Readout
    options: ReadoutOptions
    cap: tuple[float, float] | None


def experiment_readout(
    store: Store,
    experiment: str,
    options: ReadoutOptions | None = None,
    *,
    cap: tuple[float, float] | None = None,
    metrics: list[str] | None = None,
    targets: dict[str, float] | None = None,
) -> ExperimentReadout:
    """Every arm against control on the study's primary, secondary and guardrail metrics."""
    options = options or ReadoutOptions(**_study_options(store.catalog.study(experiment)))
    study = store.catalog.study(experiment)
    if study.kind != "ab":
        raise InvalidInput(f"{experiment!r} is a rollout study; use the rollout readout.")
    names = metrics or _study_metrics(study)
    if not names:
        raise InvalidInput(f"Study {experiment!r} names no metrics; set a primary metric.")
    tolerances = study.settings.get("guardrail_tolerance", {})
    targets = {**study.settings.get("target_effect", {}), **(targets or {})}
    inputs = []
    for name in names:
        definition = store.catalog.metric(name)
        inputs.append(
            MetricInput(
                name=name,
                summaries=_summaries(store, study, definition, cap),
                aggregation=definition.aggregation,
                direction=definition.direction,
                guardrail_tolerance=(
                    float(tolerances.get(name, 0.0)) if name in study.guardrail_metrics else None
                ),
                target_effect=targets.get(name),
            )
        )
    units_per_day = _units_per_day(store, experiment)
    readout = read_experiment(
        inputs,
        study.control_arm or "control",
        options,
        planned_split=study.planned_split or None,
        units_per_day=units_per_day,
    )
    return ExperimentReadout(study, readout, options, cap)


def segment_readout(
    store: Store,
    experiment: str,
    metric: str,
    segment: str,
    options: ReadoutOptions | None = None,
    *,
    top: int = 5,
    cap: tuple[float, float] | None = None,
) -> list[Estimate]:
    """The metric per segment value (top values by size plus "other"), corrected over
    segments × arms, each marked exploratory."""
    study = store.catalog.study(experiment)
    options = options or ReadoutOptions(**_study_options(study))
    definition = store.catalog.metric(metric)
    frame = arm_summaries(
        store.warehouse,
        experiment,
        _source(definition),
        window_days=study.analysis_window_days,
        cap=cap,
        segment=segment,
        top_segments=top,
    )
    estimates: list[Estimate] = []
    for value, part in frame.groupby("segment", sort=True):
        metric_input = MetricInput(
            metric, part.drop(columns="segment"), definition.aggregation, definition.direction
        )
        uncorrected = replace(options, correction="none")
        try:
            result = read_experiment([metric_input], study.control_arm or "control", uncorrected)
        except ImpactError:  # e.g. no control units in this segment: nothing to compare
            continue
        for e in result.estimates:
            estimates.append(
                replace(
                    e,
                    label=f"{segment}={value}: {e.label}",
                    details={**e.details, "segment": value},
                )
            )
    family = f"{segment} segments × arms for {metric}"
    corrected = correct(estimates, options.correction, family)
    warning = (
        "Segments are exploratory: many comparisons, chosen after the fact; confirm "
        "a segment effect with a new experiment before acting on it."
    )
    return [e.with_warning(warning) for e in corrected]


def readout_frame(result: ExperimentReadout) -> pd.DataFrame:
    """Arms × metrics table for display and download."""
    rows = []
    for kind, estimates in (
        ("primary", result.readout.estimates),
        ("guardrail", result.readout.guardrails),
    ):
        for e in estimates:
            rows.append(
                {
                    "metric": e.metric,
                    "comparison": e.label,
                    "kind": kind,
                    "control_mean": e.details.get("control_mean"),
                    "treatment_mean": e.details.get("treatment_mean"),
                    "effect": e.effect,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "se": e.se,
                    "p_value": e.p_value,
                    "raw_p_value": e.details.get("raw_p_value", e.p_value),
                    "significant": e.significant,
                    "relative": e.relative,
                    "method": e.method,
                    "variance_reduction": e.details.get("variance_reduction"),
                    "guardrail_passed": e.details.get("guardrail_passed"),
                    "n_control": e.n.get("control"),
                    "n_treatment": e.n.get("treatment"),
                }
            )
    return pd.DataFrame(rows)


def _summaries(
    store: Store, study: Study, definition: MetricDefinition, cap: tuple[float, float] | None
) -> pd.DataFrame:
    frame = arm_summaries(
        store.warehouse,
        study.name,
        _source(definition),
        window_days=study.analysis_window_days,
        cap=cap,
    )
    frame = frame.drop(columns="segment")
    # Declared arms with no units yet appear with n = 0, so SRM and the edge-case
    # messages see them instead of silently skipping the arm.
    missing = [a for a in study.arms if a not in set(frame["arm"])]
    if missing:
        empty = pd.DataFrame({c: [0] * len(missing) for c in frame.columns if c != "arm"})
        frame = pd.concat([frame, empty.assign(arm=missing)], ignore_index=True)
    return frame


def _source(definition: MetricDefinition) -> MetricSource:
    return MetricSource(
        definition.dataset, definition.column, definition.aggregation, definition.denominator
    )


def _study_metrics(study: Study) -> list[str]:
    names = [study.primary_metric] if study.primary_metric else []
    names += [m for m in study.secondary_metrics + study.guardrail_metrics if m not in names]
    return names


def _study_options(study: Study) -> dict:
    keys = ReadoutOptions.__dataclass_fields__
    return {k: v for k, v in study.settings.items() if k in keys}


def _units_per_day(store: Store, experiment: str) -> float | None:
    counts = assignment_counts(store.warehouse, experiment)
    if counts.empty:
        return None
    return float(counts["n"].sum()) / enrolment_days(store.warehouse, experiment)


@dataclass(frozen=True)
class Headline:
    text: str
    positive: bool  # the model measurably helped
    blocking: bool = False  # the readout must not be trusted (sample ratio mismatch)


def headlines(store: Store) -> list[Headline]:
    """One plain sentence per A/B study: the best arm on the primary metric, or why not."""
    lines = []
    for study in store.catalog.studies("ab"):
        if not study.primary_metric:
            continue
        try:
            result = experiment_readout(store, study.name, metrics=[study.primary_metric])
        except ImpactError as exc:
            lines.append(Headline(f"{study.name}: no readout yet ({exc})", False))
            continue
        readout = result.readout
        if not readout.trustworthy:
            lines.append(Headline(f"{study.name}: {readout.srm.message()}", False, True))
            continue
        direction = store.catalog.metric(study.primary_metric).direction
        lines.append(
            _headline(study.name, study.primary_metric, direction, readout, study.unit or "unit")
        )
    return lines


def rollout_headlines(store: Store) -> list[Headline]:
    """One plain sentence per rollout study: the model's effect since adoption."""
    from impact.analysis.did import rollout_readout

    lines = []
    for study in store.catalog.studies("did"):
        if not study.primary_metric:
            continue
        try:
            e = rollout_readout(store, study.name).estimate
        except ImpactError as exc:
            lines.append(Headline(f"{study.name}: no readout yet ({exc})", False))
            continue
        direction = store.catalog.metric(study.primary_metric).direction
        good = (e.effect > 0) == (direction == "higher")
        interval = f"95% CI {e.ci_low:+,.2f} to {e.ci_high:+,.2f}"
        if e.significant:
            verb = "raised" if e.effect > 0 else "lowered"
            text = (
                f"{study.name}: since adoption, {study.model or 'the model'} {verb} "
                f"{study.primary_metric} by {abs(e.effect):,.2f} ({interval}, "
                f"{p_text(e.p_value)}; {e.method})."
            )
        else:
            text = (
                f"{study.name}: no clear effect on {study.primary_metric} since adoption "
                f"({e.effect:+,.2f}, {interval})."
            )
        lines.append(Headline(text, e.significant and good))
    return lines


def _headline(
    name: str, metric: str, direction: str, readout: Readout, unit: str = "unit"
) -> Headline:
    if not readout.estimates:
        return Headline(f"{name}: {metric} cannot be compared yet.", False)
    sign = 1 if direction == "higher" else -1
    best = max(readout.estimates, key=lambda e: sign * e.effect)
    arm = best.label.split(" vs ")[0]
    interval = f"95% CI {best.ci_low:+,.2f} to {best.ci_high:+,.2f}"
    if best.significant and sign * best.effect > 0:
        verb = "raises" if best.effect > 0 else "lowers"
        return Headline(
            f"{name}: {arm} {verb} {metric} by {abs(best.effect):,.2f} per {unit} "
            f"against {readout.control} ({interval}, {p_text(best.p_value)}).",
            True,
        )
    if best.significant:
        return Headline(
            f"{name}: every arm does worse than {readout.control} on {metric} "
            f"(best: {arm}, {best.effect:+,.2f}, {interval}).",
            False,
        )
    return Headline(
        f"{name}: no arm shows a clear effect on {metric} yet (best: {arm}, "
        f"{best.effect:+,.2f}, {interval}).",
        False,
    )


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def segment_names(store: Store, experiment: str) -> list[str]:
    from impact.queries.ab import experiment_segments

    return experiment_segments(store.warehouse, experiment)
