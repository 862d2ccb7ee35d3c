"""How strong a study's evidence is: one rule for every page, the CLI and the report.

A verdict is only as strong as its weakest check. The estimate sets where it starts:
- conclusive: significant, in the metric's good direction;
- harmful: significant, in the bad direction;
- inconclusive: not significant.
Each check that fails then acts by its kind:
- blocks (the estimate cannot be trusted: a sample-ratio mismatch; a failed pre-trend,
  pre-test or placebo) → unreliable;
- harms (a guardrail degraded beyond its tolerance) → harmful;
- weakens (too few clusters or treated units, underpowered for the effect that would pay
  the running cost, drift or an accuracy drop during the study, failing data readiness)
  → a conclusive verdict becomes suggestive.
Notes (the multiple-testing family, the best of several arms) change nothing but are said
beside the verdict. Money of a harmful or unreliable verdict is not counted as sure.
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.vocabulary import CheckEffect, Strength

ORDER: tuple[Strength, ...] = ("conclusive", "suggestive", "inconclusive", "harmful", "unreliable")
MEANING: dict[Strength, str] = {
    "conclusive": "the effect is clear and every check behind it passed",
    "suggestive": "the effect is clear, but a check weakens it",
    "inconclusive": "no clear effect yet",
    "harmful": "the model measurably made things worse",
    "unreliable": "a failed check means the estimate cannot be trusted",
}


@dataclass(frozen=True)
class Finding:
    """One check behind a verdict: what it is, whether it passed, what a failure does."""

    check: str  # e.g. "sample ratio", "guardrail churn_rate", "pre-trend"
    passed: bool | None  # None: not run (says so, changes nothing)
    effect: CheckEffect  # what a failure does: blocks, harms, weakens, note
    message: str

    @property
    def failed(self) -> bool:
        return self.passed is False and self.effect != "note"


@dataclass(frozen=True)
class Evidence:
    strength: Strength
    start: Strength  # from the estimate alone
    findings: tuple[Finding, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the verdict is below where the estimate put it, in the findings' words."""
        return tuple(f.message for f in self.findings if f.failed)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(f.message for f in self.findings if f.effect == "note")

    @property
    def sure(self) -> bool:
        """Its money may be added to the portfolio total."""
        return self.strength not in ("harmful", "unreliable")

    @property
    def meaning(self) -> str:
        return MEANING[self.strength]


def grade(significant: bool, good_direction: bool, findings: list[Finding]) -> Evidence:
    """The evidence strength of an estimate and the checks behind it (module docstring)."""
    if significant:
        start: Strength = "conclusive" if good_direction else "harmful"
    else:
        start = "inconclusive"
    failed = {f.effect for f in findings if f.failed}
    strength = start
    if "blocks" in failed:
        strength = "unreliable"
    elif "harms" in failed:
        strength = "harmful"
    elif "weakens" in failed and start == "conclusive":
        strength = "suggestive"
    return Evidence(strength, start, tuple(findings))
