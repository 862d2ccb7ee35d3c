"""Relative CUPED lifts: both adjusted means share the pooled covariate mean x̄, so the
delta method needs the gradient with respect to every pooled arm's ȳ and x̄."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from impact.options import ReadoutOptions
from impact.stats import PairedStats, SampleStats
from impact.stats.ab import cuped_difference, pooled_theta
from impact.stats.experiment import MetricInput, read_experiment


def paired_sums(y: np.ndarray, x: np.ndarray) -> list[PairedStats]:
    """One PairedStats per row of (reps × n) arrays."""
    n = y.shape[1]
    return [
        PairedStats(SampleStats(n, sy, syy), SampleStats(n, sx, sxx), sxy)
        for sy, syy, sx, sxx, sxy in zip(
            y.sum(1), (y * y).sum(1), x.sum(1), (x * x).sum(1), (x * y).sum(1), strict=True
        )
    ]


def simulate_cell(rng, reps, n, rho, lift, kind):
    """Control y = x + e with corr(x, y) = rho, x ~ N(100, 20²); treatment adds
    lift·100 (additive) or multiplies y by 1 + lift (multiplicative)."""
    noise = 20 * np.sqrt(1 / rho**2 - 1)

    def arm():
        x = rng.normal(100, 20, (reps, n))
        return x, x + rng.normal(0, noise, (reps, n))

    (xc, yc), (xt, yt) = arm(), arm()
    yt = yt + 100 * lift if kind == "additive" else yt * (1 + lift)
    return paired_sums(yc, xc), paired_sums(yt, xt)


def coverage(rng, reps, n, rho, lift, kind):
    controls, treatments = simulate_cell(rng, reps, n, rho, lift, kind)
    hits = [
        (e.ci_low <= lift <= e.ci_high)
        for e in (
            cuped_difference(c, t, relative=True) for c, t in zip(controls, treatments, strict=True)
        )
    ]
    return float(np.mean(hits))


# 600 draws per cell: the binomial standard error of a 0.95 coverage is 0.0089, so
# [0.92, 0.98] is ±3.4 standard errors (a correct method fails a cell with probability
# ~0.0007, all 12 with < 1%); the seed is fixed. Before the fix these cells read 0.57–0.89
# (additive, large lifts) and 0.99–1.00 (multiplicative, ρ 0.99).
@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
@pytest.mark.parametrize("rho", [0.9, 0.99])
@pytest.mark.parametrize("lift", [0.05, 0.30, 1.00])
def test_relative_cuped_intervals_cover_the_true_lift(kind, rho, lift):
    rng = np.random.default_rng([int(rho * 1000), int(lift * 100), kind == "additive"])
    assert 0.92 <= coverage(rng, 600, 2000, rho, lift, kind) <= 0.98


def test_relative_cuped_standard_error_equals_a_numerical_delta_method_on_rows():
    rng = np.random.default_rng(41)
    rows = {}
    for name, lift in (("control", 0.0), ("a", 0.5), ("b", 1.0)):
        x = rng.normal(100, 20, 1500)
        rows[name] = (x, (1 + lift) * x + rng.normal(0, 5, 1500))
    stats = {k: PairedStats(*map(_sums, v[::-1]), float(v[0] @ v[1])) for k, v in rows.items()}
    e = cuped_difference(stats["control"], stats["a"], relative=True, others=[stats["b"]])

    # Independent: the estimator as a function of every arm's (ȳ, x̄), θ held at its value,
    # differentiated numerically; each arm's (ȳ, x̄) covariance from np.cov on its rows.
    theta = pooled_theta(list(stats.values()))
    names = list(rows)
    counts = np.array([len(rows[k][0]) for k in names])

    def lift_of(means):
        y_bar, x_bar = means[0::2], means[1::2]
        pooled = (counts * x_bar).sum() / counts.sum()
        adjusted = y_bar - theta * (x_bar - pooled)
        return adjusted[1] / adjusted[0] - 1

    point = np.array([v for k in names for v in (rows[k][1].mean(), rows[k][0].mean())])
    gradient = np.array(
        [(lift_of(point + h) - lift_of(point - h)) / 2e-6 for h in np.eye(len(point)) * 1e-6]
    )
    covariance = np.zeros((len(point), len(point)))
    for i, k in enumerate(names):
        x, y = rows[k]
        covariance[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = np.cov(y, x) / len(y)
    assert e.effect == pytest.approx(lift_of(point), rel=1e-10)
    assert e.se == pytest.approx(np.sqrt(gradient @ covariance @ gradient), rel=1e-5)


def _sums(v: np.ndarray) -> SampleStats:
    return SampleStats(len(v), float(v.sum()), float(v @ v))


def test_three_arms_theta_and_x_bar_come_from_every_arm():
    """θ and x̄ pool the same arms (all of them): the absolute effect is the OLS arm
    coefficient and the relative lift's baseline the OLS intercept, x centred on all rows."""
    rng = np.random.default_rng(3)
    frames, arms = [], {}
    for name, shift, lift in (("control", 0, 0), ("a", 5, 1.0), ("b", -5, 2.5)):
        x = rng.normal(50 + shift, 10, 3000)  # arms differ in x̄ so the choice matters
        y = 10 + lift + 0.5 * x + rng.normal(0, 5, 3000)
        frames.append(pd.DataFrame({"y": y, "x": x, "arm": name}))
        arms[name] = PairedStats(_sums(y), _sums(x), float(x @ y))
    frame = pd.concat(frames)
    frame["x_centred"] = frame.x - frame.x.mean()
    fit = smf.ols("y ~ C(arm, Treatment('control')) + x_centred", frame).fit()
    absolute = read_experiment([MetricInput("m", arms)], "control", ReadoutOptions())
    relative = read_experiment([MetricInput("m", arms)], "control", ReadoutOptions(relative=True))
    for e, r in zip(absolute.estimates, relative.estimates, strict=True):
        key = f"C(arm, Treatment('control'))[T.{e.treatment_arm}]"
        assert e.effect == pytest.approx(fit.params[key], abs=1e-9)
        assert e.details["theta"] == pytest.approx(fit.params["x_centred"], abs=1e-10)
        assert r.baseline == pytest.approx(fit.params["Intercept"], abs=1e-9)
        assert r.effect == pytest.approx(fit.params[key] / fit.params["Intercept"], abs=1e-12)


def test_pairwise_cuped_effect_is_the_difference_of_ols_arm_coefficients():
    """A comparison of two treatment arms pools θ and x̄ over all three arms too: its
    absolute effect is the difference of their coefficients in OLS on every arm's rows
    (x̄ cancels from an absolute difference, so only θ's pool matters)."""
    rng = np.random.default_rng(4)
    frames, arms = [], {}
    for name, lift in (("control", 0), ("a", 1.0), ("b", 2.5)):
        x = rng.normal(50, 10, 2000)
        y = 10 + lift + 0.5 * x + rng.normal(0, 5, 2000)
        frames.append(pd.DataFrame({"y": y, "x": x, "arm": name}))
        arms[name] = PairedStats(_sums(y), _sums(x), float(x @ y))
    fit = smf.ols("y ~ C(arm, Treatment('control')) + x", pd.concat(frames)).fit()
    readout = read_experiment(
        [MetricInput("m", arms)], "control", ReadoutOptions(pairwise=True, correction="none")
    )
    [pair] = [e for e in readout.estimates if e.label == "b vs a"]
    coef = {k: fit.params[f"C(arm, Treatment('control'))[T.{k}]"] for k in ("a", "b")}
    assert pair.effect == pytest.approx(coef["b"] - coef["a"], abs=1e-9)
