"""The checks behind a study's verdict, gathered from its readout, its money and its model's
health, and graded by impact.stats.evidence (one rule for every page, the CLI and the
report)."""

from __future__ import annotations

import math

from impact.analysis.did import RolloutReadout
from impact.catalog import Study
from impact.stats.estimate import Estimate
from impact.stats.evidence import Evidence, Finding, grade
from impact.stats.experiment import Readout
from impact.store import Store

# Caveats on an estimate that weaken its verdict when present (their text is the reason).
WEAKENING = ("few_clusters", "few_treated", "single_unit_cohort", "readiness")


def ab_evidence(
    store: Store, study: Study, readout: Readout, best: Estimate, good: bool
) -> Evidence:
    """Sample ratio (blocks), the best arm's guardrails (harm), power for the effect that
    pays the running cost and health during the study (weaken), family and best-of-arms
    (notes)."""
    findings = []
    if readout.srm is not None:
        findings.append(
            Finding("sample ratio", not readout.srm.mismatch, "blocks", readout.srm.message())
        )
    for g in readout.guardrails:
        if g.treatment_arm != best.treatment_arm:
            continue
        passed = bool(g.details.get("guardrail_passed"))
        said = "held" if passed else "degraded beyond its tolerance"
        findings.append(
            Finding(f"guardrail {g.metric}", passed, "harms", f"guardrail {g.metric} {said}")
        )
    findings += _caveats(best)
    findings.append(_break_even_power(store, study, readout, best))
    findings += _health(store, study)
    arms = {e.treatment_arm for e in readout.estimates}
    if len(arms) > 1:
        findings.append(
            Finding(
                "best of several arms",
                True,
                "note",
                f"{best.treatment_arm} is the best of {len(arms)} arms, so its effect is "
                "likely overstated; its interval is corrected over them.",
            )
        )
    if best.correction:
        findings.append(Finding("multiple testing", True, "note", f"corrected: {best.correction}"))
    return grade(best.significant, good, findings)


def rollout_evidence(store: Store, study: Study, rollout: RolloutReadout, good: bool) -> Evidence:
    """Pre-trend, pre-test and placebo (block when failed), few clusters, few treated units
    and single-unit cohorts (weaken), health during the study (weakens)."""
    findings = [
        Finding(
            c.name,
            c.passed,
            "blocks",
            f"{c.name} {c.outcome} (p = {c.p_value:.3f})" if c.ran else f"{c.name}: not run",
        )
        for c in rollout.checks
    ]
    findings += _caveats(rollout.estimate)
    findings += _health(store, study)
    e = rollout.estimate
    return grade(e.significant, good, findings)


def _caveats(estimate: Estimate) -> list[Finding]:
    return [
        Finding(w.kind.replace("_", " "), False, "weakens", str(w))
        for w in estimate.caveats(*WEAKENING)
    ]


def _break_even_power(store: Store, study: Study, readout: Readout, best: Estimate) -> Finding:
    """Does the study answer whether the model pays its running cost? Yes when its interval
    lies wholly beyond the effect that would just pay it, or when the sample could detect
    that effect; otherwise it is underpowered for it."""
    from impact.analysis.value import break_even_effect

    row = next(
        (p for p in readout.power if p.metric == best.metric and p.comparison == best.label), None
    )
    needed = break_even_effect(store, study)
    if row is None or needed is None or not math.isfinite(row.mde):
        return Finding("power", None, "weakens", "power for the break-even effect: not run")
    if row.relative and best.baseline:
        needed = needed / abs(best.baseline)
    scale, unit = (100, "%") if row.relative else (1, "")
    pays = f"{needed * scale:,.3g}{unit}, the effect that pays the running cost"
    beyond = best.ci_low > needed or best.ci_high < -needed
    if beyond:
        return Finding("power", True, "weakens", f"the interval lies beyond {pays}")
    passed = row.mde <= needed
    said = "can" if passed else "cannot"
    return Finding(
        "power",
        passed,
        "weakens",
        f"the sample {said} detect {pays} (it detects {row.mde * scale:,.3g}{unit} at "
        f"{row.power:.0%} power)" + ("" if passed else ": underpowered for it"),
    )


def _health(store: Store, study: Study) -> list[Finding]:
    """Score drift or an accuracy drop of the study's model during the study (from its
    start). Feature drift is left out: a rollout changes who is scored by design."""
    from impact.analysis.health import weekly_health
    from impact.errors import ImpactError

    if not study.model:
        return []
    try:
        alerts = weekly_health(store, study.model).alerts
    except ImpactError:
        return []
    start = study.start
    hits = [
        a
        for a in alerts
        if (a.kind == "performance" or (a.kind == "drift" and a.subject == "score"))
        and (start is None or str(a.last_period) >= start.isoformat()[:10])
    ]
    if not hits:
        return [Finding("model health", True, "weakens", "no drift or accuracy drop")]
    said = "; ".join(f"{a.version} {a.subject}: {a.message}" for a in hits)
    return [Finding("model health", False, "weakens", f"during the study, {said}")]
