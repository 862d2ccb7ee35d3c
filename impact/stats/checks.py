"""Checks that say when not to trust a readout: sample ratio mismatch, guardrails."""

from __future__ import annotations

from dataclasses import dataclass, replace

from scipy import stats as sps

from impact.errors import NotEstimable
from impact.stats.estimate import Estimate
from impact.stats.sequential import always_valid_p
from impact.vocabulary import Direction, check_choice

SRM_THRESHOLD = 0.001  # the p-value below which GrowthBook, Eppo and Statsig flag SRM


@dataclass(frozen=True)
class SampleRatioCheck:
    counts: dict[str, int]
    expected: dict[str, float]  # expected counts under the planned split
    statistic: float
    p_value: float
    threshold: float = SRM_THRESHOLD

    @property
    def mismatch(self) -> bool:
        return self.p_value < self.threshold

    def message(self) -> str:
        if not self.mismatch:
            return f"Arm sizes match the planned split (χ² p = {self.p_value:.3f})."
        worst = max(self.counts, key=lambda a: abs(self.counts[a] - self.expected[a]))
        return (
            f"Sample ratio mismatch: arm sizes differ from the planned split "
            f"(χ² p = {self.p_value:.2g} < {self.threshold}); {worst} has "
            f"{self.counts[worst]:,} units where {self.expected[worst]:,.0f} were expected. "
            "Assignment or logging is broken, so effects are not trustworthy until the "
            "cause is found."
        )


def sample_ratio(counts: dict[str, int], planned: dict[str, float]) -> SampleRatioCheck:
    """Chi-square goodness of fit of arm counts against the planned split."""
    arms = list(counts)
    missing = [a for a in arms if a not in planned]
    if missing:
        raise NotEstimable(f"The planned split does not mention arm(s) {', '.join(missing)}.")
    total_weight = sum(planned[a] for a in arms)
    total = sum(counts.values())
    if total == 0 or total_weight <= 0:
        raise NotEstimable("No units are assigned yet; the split cannot be checked.")
    expected = {a: total * planned[a] / total_weight for a in arms}
    result = sps.chisquare([counts[a] for a in arms], [expected[a] for a in arms])
    return SampleRatioCheck(counts, expected, float(result.statistic), float(result.pvalue))


def guardrail(
    estimate: Estimate, tolerated: float, direction: str, *, tuning_n: float | None = None
) -> Estimate:
    """One-sided test that the metric did not degrade by more than `tolerated`.

    H0: the effect is a degradation of at least `tolerated` (in the estimate's units);
    a small p-value shows the metric stayed within tolerance. With `tuning_n` (an
    always-valid estimate) the test is the confidence sequence's: it passes exactly when
    the interval's degrading end lies within the tolerance.
    """
    check_choice("direction", direction, Direction)
    sign = 1 if direction == "higher" else -1
    margin = sign * estimate.effect + tolerated  # how far the effect is from the bound
    if tuning_n is not None:
        p_value = always_valid_p(margin, estimate, tuning_n)
    else:
        dist = sps.norm if estimate.df is None else sps.t(estimate.df)
        p_value = float(dist.sf(margin / estimate.se))
    ok = p_value < estimate.alpha
    verdict = "within tolerance" if ok else f"cannot rule out a degradation beyond {tolerated:g}"
    return replace(
        estimate,
        p_value=p_value,
        method=f"{estimate.method}; one-sided guardrail (tolerated {tolerated:g})",
        details={
            **estimate.details,
            "guardrail_passed": ok,
            "verdict": verdict,
            "tolerated": tolerated,
        },
    )
