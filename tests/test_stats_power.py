"""Power and MDE on the readout's own scale and variance: ratio, CUPED, relative, sequential.

Each MDE is checked against statsmodels on the raw rows and by simulation: experiments
whose true effect is the MDE reject at about the power level. Larger runs are outside the
suite (their figures are in the issue's report).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower

from impact.options import ReadoutOptions
from impact.stats import SampleStats
from impact.stats.ab import cuped_difference, mean_difference, ratio_difference
from impact.stats.experiment import MetricInput, read_experiment
from impact.stats.sequential import always_valid
from impact.stats.summary import PairedStats


def _paired(y, x) -> PairedStats:
    return PairedStats(
        SampleStats(len(y), float(y.sum()), float((y * y).sum())),
        SampleStats(len(x), float(x.sum()), float((x * x).sum())),
        float((x * y).sum()),
    )


def _clicks(rng, n, p, reps=None):
    shape = (n,) if reps is None else (reps, n)
    impressions = rng.poisson(20, shape) + 1
    return rng.binomial(impressions, p), impressions


def _ratio_readout(c, t, options=ReadoutOptions()):
    arms = {"control": _paired(*c), "treatment": _paired(*t)}
    return read_experiment([MetricInput("ctr", arms, "ratio")], "control", options)


def test_ratio_mde_uses_the_linearised_ratio_not_the_numerator():
    """The issue's case: "detectable now 0.0454" beside a significant effect of 0.0113."""
    rng = np.random.default_rng(3)
    c, t = _clicks(rng, 5000, 0.05), _clicks(rng, 5000, 0.056)
    readout = _ratio_readout(c, t)
    [e], [row] = readout.estimates, readout.power
    assert e.significant
    assert row.mde == pytest.approx(
        (sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) * e.se, rel=1e-3
    )  # was 0.059 (22× too large): the click count's own standard deviation
    assert row.mde < 1.2 * abs(e.effect)
    # Independent: statsmodels' normal power on the rows' linearised ratio.
    lin = [(y - y.sum() / x.sum() * x) / x.mean() for y, x in (c, t)]
    sd = np.sqrt(np.concatenate([v - v.mean() for v in lin]).var(ddof=2))
    d = NormalIndPower().solve_power(None, nobs1=5000, alpha=0.05, power=0.8, ratio=1.0)
    assert row.mde == pytest.approx(d * sd, rel=0.01)
    assert row.variance == "ratio, delta method" and row.power == 0.8


@pytest.mark.parametrize("power", [0.8, 0.5])
def test_ratio_experiments_at_the_mde_reject_at_the_power_level(power):
    rng = np.random.default_rng(11)
    n, reps = 2000, 300
    options = ReadoutOptions(power=power)
    # The readout sees the effect in its data (the treatment's variance grows with p).
    mde = _ratio_readout(_clicks(rng, n, 0.05), _clicks(rng, n, 0.054), options).power[0].mde
    cy, cx = _clicks(rng, n, 0.05, reps)
    ty, tx = _clicks(rng, n, 0.05 + mde, reps)
    rejected = [  # the readout's own test, without its power step (a root solve per run)
        ratio_difference(_paired(cy[i], cx[i]), _paired(ty[i], tx[i])).significant
        for i in range(reps)
    ]
    assert np.mean(rejected) == pytest.approx(power, abs=0.075)  # 3 s.e. at 300 runs


def _cuped_arms(rng, n, effect, reps):
    x = rng.normal(10, 3, (2, reps, n))
    y = 0.9 * x + rng.normal(0, 1, (2, reps, n))
    y[1] += effect
    return [
        {"control": _paired(y[0, i], x[0, i]), "treatment": _paired(y[1, i], x[1, i])}
        for i in range(reps)
    ]


@pytest.mark.parametrize("relative", [False, True])
def test_cuped_mde_uses_the_adjusted_variance_and_holds_by_simulation(relative):
    rng = np.random.default_rng(4)
    options = ReadoutOptions(relative=relative)
    [pilot] = _cuped_arms(rng, 1000, 0.0, 1)
    readout = read_experiment([MetricInput("y", pilot)], "control", options)
    [e], [row] = readout.estimates, readout.power
    assert row.variance == "CUPED-adjusted" + (", relative lift" if relative else "")
    assert row.mde == pytest.approx(2.8 * e.se, rel=0.01)  # z_.975 + z_.8 ≈ 2.80
    unadjusted = np.sqrt(0.81 * 9 + 1) * np.sqrt(2 / 1000) / (9.0 if relative else 1)
    assert row.mde < 0.5 * 2.8 * unadjusted  # far below what the raw variance gives
    lift = row.mde * (9.0 if relative else 1.0)  # control mean 0.9 · 10
    rejected = [
        cuped_difference(arms["control"], arms["treatment"], relative=relative).significant
        for arms in _cuped_arms(rng, 1000, lift, 300)
    ]
    assert np.mean(rejected) == pytest.approx(0.8, abs=0.075)


def test_relative_target_is_read_as_a_lift_of_the_control_mean():
    arms = {
        "control": SampleStats(1000, 10_000, 200_000),
        "treatment": SampleStats(1000, 10_100, 204_000),
    }
    absolute = read_experiment(
        [MetricInput("m", arms, target_effect=0.5)], "control", ReadoutOptions()
    )
    lift = read_experiment(
        [MetricInput("m", arms, target_effect=0.5)], "control", ReadoutOptions(relative=True)
    )
    a, r = absolute.power[0], lift.power[0]
    assert r.relative and r.target_effect == pytest.approx(0.05)  # 0.5 of a mean of 10
    assert r.mde == pytest.approx(a.mde / 10, rel=0.02)
    assert r.units_needed == pytest.approx(a.units_needed, rel=0.03)


def test_sequential_mde_is_the_sequence_half_width_plus_z_power_se():
    from impact.stats.sequential import half_width

    arms = {
        "control": SampleStats(1000, 10_000, 200_000),
        "treatment": SampleStats(1000, 10_100, 204_000),
    }
    options = ReadoutOptions(sequential=True, tuning_n=2000)
    readout = read_experiment([MetricInput("m", arms, target_effect=0.5)], "control", options)
    [e], [row] = readout.estimates, readout.power
    assert row.sequential
    assert row.mde == pytest.approx(half_width(e.se, 2000, 0.05, 2000) + sps.norm.ppf(0.8) * e.se)
    assert (
        row.mde
        > read_experiment([MetricInput("m", arms)], "control", ReadoutOptions()).power[0].mde
    )


def test_always_valid_readouts_at_the_sequential_mde_reject_at_the_power_level():
    rng = np.random.default_rng(17)
    n, reps = 1000, 300
    options = ReadoutOptions(sequential=True, tuning_n=2000)

    def arms(effect):
        y = rng.normal(10, 2, (2, n))
        y[1] += effect
        return {
            a: SampleStats(n, float(v.sum()), float((v * v).sum()))
            for a, v in zip(("control", "treatment"), y, strict=True)
        }

    mde = read_experiment([MetricInput("m", arms(0.0))], "control", options).power[0].mde
    rejected = [
        always_valid(mean_difference(*arms(mde).values()), 2000).significant for _ in range(reps)
    ]
    assert np.mean(rejected) == pytest.approx(0.8, abs=0.075)


def test_sequential_sample_size_at_the_extremes():
    from impact.errors import NotEstimable
    from impact.stats.power import minimum_detectable_effect, sample_size

    assert sample_size(1.0, 100.0, tuning_n=1000).per_arm == 2  # any sample detects it
    with pytest.raises(NotEstimable, match="too small"):
        sample_size(1.0, 1e-9, tuning_n=1000)
    size = sample_size(1.0, 0.1, tuning_n=1000)
    mde = minimum_detectable_effect(1.0, size.per_arm, size.per_arm, tuning_n=1000)
    assert (
        mde
        <= 0.1
        < minimum_detectable_effect(1.0, size.per_arm - 2, size.per_arm - 2, tuning_n=1000)
    )


def test_a_fallback_root_from_statsmodels_is_still_a_number():
    """At alpha 0.1, n 222 and ratio 0.89 statsmodels answers with a 1-element array; the
    readout crashed on it (TypeError) for `impact ab --rows … --alpha 0.1`."""
    from statsmodels.stats.power import TTestIndPower

    from impact.stats.power import minimum_detectable_effect

    mde = minimum_detectable_effect(2.0, 222, 198, alpha=0.1, power=0.8)
    assert TTestIndPower().power(mde / 2.0, 222, 0.1, 198 / 222) == pytest.approx(0.8, abs=1e-4)
