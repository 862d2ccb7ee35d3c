"""Always-valid readouts: the p-value, the interval and the guardrail verdict agree."""

from __future__ import annotations

import numpy as np
import pytest

from impact.options import ReadoutOptions
from impact.stats import SampleStats
from impact.stats.ab import mean_difference
from impact.stats.checks import guardrail
from impact.stats.estimate import Estimate
from impact.stats.experiment import MetricInput, read_experiment
from impact.stats.sequential import always_valid, half_width


def _stats(rng, n, mean, sd):
    y = rng.normal(mean, sd, n)
    return SampleStats(n, float(y.sum()), float((y**2).sum()))


def test_always_valid_p_is_below_alpha_exactly_when_the_interval_excludes_zero():
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(20, 20_000))
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        tuning = int(rng.choice([500, 5_000, 50_000]))
        e = mean_difference(
            _stats(rng, n, 0, 1), _stats(rng, n, rng.normal(0, 4 / n**0.5), 1), alpha=alpha
        )
        ev = always_valid(e, tuning)
        excludes = ev.ci_low > 0 or ev.ci_high < 0
        assert (ev.p_value < alpha) == excludes
        # and it is the level at which the sequence touches 0 (ρ kept at the study's α)
        if 1e-12 < ev.p_value < 1:
            width = half_width(e.se, 2 * n, alpha, tuning, level=ev.p_value)
            assert width == pytest.approx(abs(e.effect), rel=1e-9)


def test_sequential_guardrail_agrees_with_its_always_valid_interval():
    # The case: interval −0.0024 … 0.0622 beside p = 0.0025 "significant".
    c = SampleStats(2000, 2000 * 1.0, 2000 * (1.0 + 0.5**2))
    t = SampleStats(2000, 2000 * 1.0299, 2000 * (1.0299**2 + 0.5**2))
    metric = MetricInput("latency", {"control": c, "treatment": t}, guardrail_tolerance=0.0)
    readout = read_experiment([metric], "control", ReadoutOptions(sequential=True, tuning_n=500))
    [g] = readout.guardrails
    assert g.ci_low < 0 < g.ci_high  # the interval cannot rule out a degradation …
    assert g.p_value >= g.alpha and not g.details["guardrail_passed"]  # … nor may the test
    fixed = read_experiment([metric], "control", ReadoutOptions()).guardrails[0]
    assert fixed.p_value < 0.05  # the fixed-horizon test did pass it


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_sequential_guardrail_p_is_below_alpha_exactly_when_the_bad_end_is_tolerated(direction):
    rng = np.random.default_rng(8)
    for _ in range(200):
        n = int(rng.integers(50, 5_000))
        e = always_valid(
            mean_difference(_stats(rng, n, 0, 1), _stats(rng, n, rng.normal(0, 0.1), 1))
        )
        tolerated = float(rng.uniform(0, 0.3))
        g = guardrail(e, tolerated, direction, tuning_n=5_000)
        bad_end = e.ci_low if direction == "higher" else -e.ci_high
        assert g.details["guardrail_passed"] == (bad_end > -tolerated)
        assert g.details["guardrail_passed"] == (g.p_value < e.alpha)


def test_peeking_at_always_valid_p_values_keeps_false_positives_under_alpha():
    """A/A, 200 experiments looked at 20 times each; a larger run is outside the suite."""
    rng = np.random.default_rng(21)
    reps, looks, per_look = 200, 20, 50
    c = rng.normal(0, 1, (reps, looks * per_look))
    t = rng.normal(0, 1, (reps, looks * per_look))
    ever_fixed = np.zeros(reps, bool)
    ever_valid = np.zeros(reps, bool)
    for look in range(1, looks + 1):
        n = look * per_look
        effect = t[:, :n].mean(1) - c[:, :n].mean(1)
        se = np.sqrt((c[:, :n].var(1, ddof=1) + t[:, :n].var(1, ddof=1)) / n)
        for i in range(reps):
            # The Welch difference with the normal reference: the sequence only uses the
            # effect, its se and n, and scipy's t is slow to build 4,000 times.
            e = Estimate.from_se(effect[i], se[i], n={"control": n, "treatment": n}, method="z")
            ever_fixed[i] |= e.p_value < 0.05
            ever_valid[i] |= always_valid(e, 1_000).p_value < 0.05
    assert ever_fixed.mean() > 0.15  # peeking at fixed-horizon p-values inflates errors …
    assert ever_valid.mean() <= 0.05  # … the always-valid p-value does not
