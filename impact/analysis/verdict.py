"""Verdicts: one plain sentence per study for the Overview, decided here for every page.

Each sentence is built from the study's estimate (and the checks that qualify it), so the
words agree with the numbers shown next to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.analysis.ab import experiment_readout
from impact.analysis.did import rollout_readout
from impact.errors import ImpactError
from impact.stats.estimate import Estimate
from impact.stats.experiment import Readout
from impact.stats.multiple import interval_level
from impact.store import Store


@dataclass(frozen=True)
class Headline:
    text: str
    positive: bool  # the model measurably helped
    blocking: bool = False  # the readout must not be trusted (sample ratio mismatch)


def headlines(store: Store) -> list[Headline]:
    """One plain sentence per A/B study: the best arm on the primary metric, or why not."""
    lines = []
    directions = {m.name: m.direction for m in store.catalog.metrics()}
    for study in store.catalog.studies("ab"):
        if not study.primary_metric:
            continue
        try:
            result = experiment_readout(store, study, metrics=[study.primary_metric])
        except ImpactError as exc:
            lines.append(Headline(f"{study.name}: no readout yet ({exc})", False))
            continue
        readout = result.readout
        if not readout.trustworthy:
            lines.append(Headline(f"{study.name}: {readout.srm.message()}", False, True))
            continue
        lines.append(
            _headline(
                study.name,
                study.primary_metric,
                directions[study.primary_metric],
                readout,
                study.unit or "unit",
            )
        )
    return lines


def _headline(
    name: str, metric: str, direction: str, readout: Readout, unit: str = "unit"
) -> Headline:
    if not readout.estimates:
        return Headline(f"{name}: {metric} cannot be compared yet.", False)
    sign = 1 if direction == "higher" else -1
    best = max(readout.estimates, key=lambda e: sign * e.effect)
    arm = best.treatment_arm
    interval = f"{interval_name(best)} {best.ci_low:+,.2f} to {best.ci_high:+,.2f}"
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


def interval_name(e: Estimate) -> str:
    """How an interval is named next to its numbers: its level, and the correction that set
    it ("97.5% CI, Holm-adjusted"), so the words agree with the corrected p-value."""
    level = f"{interval_level(e) * 100:.3g}% CI"
    method = e.details.get("correction_method")
    return f"{level}, {method}-adjusted" if e.correction and method else level


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def rollout_headlines(store: Store) -> list[Headline]:
    """One plain sentence per rollout study: the model's effect since adoption."""
    lines = []
    for study in store.catalog.studies("did"):
        if not study.primary_metric:
            continue
        try:
            e = rollout_readout(store, study).estimate
        except ImpactError as exc:
            lines.append(Headline(f"{study.name}: no readout yet ({exc})", False))
            continue
        direction = store.catalog.metric(study.primary_metric).direction
        good = (e.effect > 0) == (direction == "higher")
        interval = f"{interval_name(e)} {e.ci_low:+,.2f} to {e.ci_high:+,.2f}"
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
