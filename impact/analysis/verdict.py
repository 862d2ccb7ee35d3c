"""Verdicts: one plain sentence per study for the Overview, decided here for every page.

Each sentence is built from the study's estimate, and its evidence strength from the checks
behind it (impact.analysis.evidence, graded by impact.stats.evidence), so the words agree
with the numbers shown next to them and no failed check is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from impact.analysis.ab import experiment_readout
from impact.analysis.did import rollout_readout
from impact.analysis.evidence import ab_evidence, rollout_evidence
from impact.errors import ImpactError
from impact.formats import p_text
from impact.stats.estimate import Estimate
from impact.stats.evidence import MEANING, Evidence
from impact.stats.experiment import Readout
from impact.stats.multiple import interval_level
from impact.store import Store

__all__ = ["MEANING", "Headline", "headlines", "interval_name", "p_text", "rollout_headlines"]


@dataclass(frozen=True)
class Headline:
    text: str
    positive: bool  # the model measurably helped
    blocking: bool = False  # the readout must not be trusted (sample ratio mismatch)
    evidence: Evidence | None = None  # None: no estimate to grade
    study: str = ""

    @property
    def strength(self) -> str:
        return self.evidence.strength if self.evidence else "inconclusive"

    @property
    def said(self) -> str:
        """The sentence with its evidence strength and, below a clear start, why."""
        if self.evidence is None:
            return self.text
        e = self.evidence
        reasons = "; ".join(r.rstrip(". ") for r in e.reasons)
        why = f" Why {e.strength}: {reasons}." if reasons else ""
        return f"{e.strength.capitalize()} — {self.text}{why}"


def _graded(line: Headline, evidence: Evidence) -> Headline:
    return replace(
        line,
        positive=evidence.strength in ("conclusive", "suggestive"),
        blocking=evidence.strength == "unreliable",
        evidence=evidence,
    )


def headlines(store: Store) -> list[Headline]:
    """One plain sentence per A/B study: the best arm on the primary metric, or why not."""
    lines = []
    directions = {m.name: m.direction for m in store.catalog.metrics()}
    for study in store.catalog.studies("ab"):
        if not study.primary_metric:
            continue
        try:
            # Guardrails are their own family, so reading them leaves the primary's numbers.
            wanted = [study.primary_metric, *study.guardrail_metrics]
            result = experiment_readout(store, study, metrics=wanted)
        except ImpactError as exc:
            lines.append(Headline(f"{study.name}: no readout yet ({exc})", False, study=study.name))
            continue
        readout = result.readout
        direction = directions[study.primary_metric]
        line = _headline(study.name, study.primary_metric, direction, readout, study.unit or "unit")
        if readout.estimates:
            sign = 1 if direction == "higher" else -1
            best = max(readout.estimates, key=lambda e: sign * e.effect)
            evidence = ab_evidence(store, study, readout, best, sign * best.effect > 0)
            line = _graded(line, evidence)
        lines.append(replace(line, study=study.name))
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


def rollout_headlines(store: Store) -> list[Headline]:
    """One plain sentence per rollout study: the model's effect since adoption."""
    lines = []
    for study in store.catalog.studies("did"):
        if not study.primary_metric:
            continue
        try:
            readout = rollout_readout(store, study)
        except ImpactError as exc:
            lines.append(Headline(f"{study.name}: no readout yet ({exc})", False, study=study.name))
            continue
        e = readout.estimate
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
        line = Headline(text, e.significant and good)
        graded = _graded(line, rollout_evidence(store, study, readout, good))
        lines.append(replace(graded, study=study.name))
    return lines
