"""A/B statistics on sufficient statistics: published values, raw rows, simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps

from impact.errors import NotEstimable
from impact.stats import PairedStats, SampleStats
from impact.stats.ab import (
    cuped_difference,
    mean_difference,
    pooled_theta,
    proportion_difference,
    ratio_difference,
)


def summarise(y: np.ndarray) -> SampleStats:
    return SampleStats(len(y), float(y.sum()), float((y**2).sum()))


def with_covariate(y: np.ndarray, x: np.ndarray) -> PairedStats:
    return PairedStats(summarise(y), summarise(x), float((x * y).sum()))


def as_ratio(num: np.ndarray, den: np.ndarray) -> PairedStats:
    return PairedStats(summarise(num), summarise(den), float((num * den).sum()))


def rounded(e, digits=5):
    return tuple(round(v, digits) for v in (e.effect, e.ci_low, e.ci_high, e.se, e.p_value))


# --- published values (tests/reference/REFERENCES.md) -------------------------------------

# GrowthBook gbstats, frequentist two-sided t-test tests, case 1.
GB_CONTROL = SampleStats(3407, 1396.87, 52377.9767)
GB_TREATMENT = SampleStats(3461, 2422.7, 134698.29)


def test_growthbook_absolute_difference():
    assert rounded(mean_difference(GB_CONTROL, GB_TREATMENT)) == (
        0.29,
        0.04538,
        0.53462,
        0.12478,
        0.02016,
    )


def test_growthbook_relative_lift():
    assert rounded(mean_difference(GB_CONTROL, GB_TREATMENT, relative=True)) == (
        0.70732,
        -0.03526,
        1.44989,
        0.37879,
        0.06191,
    )


def test_growthbook_proportions_relative():
    # control 14 of 28, treatment 16 of 30; variance p(1 − p), Welch df.
    e = proportion_difference(SampleStats(28, 14, 14), SampleStats(30, 16, 16), relative=True)
    assert rounded(e) == (0.06667, -0.47767, 0.61101, 0.2717, 0.80707)


def test_spotify_confidence_welch():
    # Spotify confidence t-test tests: difference −0.2, CI (−1.340533, 0.940533), p 0.704021.
    e = mean_difference(SampleStats(10, 24, 80), SampleStats(150, 330, 1010))
    assert round(e.effect, 6) == -0.2
    assert (round(e.ci_low, 6), round(e.ci_high, 6)) == (-1.340533, 0.940533)
    assert e.p_value == pytest.approx(0.704021, abs=2e-6)


# --- independent computations on raw rows -------------------------------------------------


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(11)
    n_c, n_t = 4000, 4300
    x_c, x_t = rng.gamma(2, 20, n_c), rng.gamma(2, 20, n_t)
    y_c = 5 + 0.8 * x_c + rng.normal(0, 15, n_c)
    y_t = 7 + 0.8 * x_t + rng.normal(0, 18, n_t)
    return x_c, y_c, x_t, y_t


def test_welch_matches_scipy(rows):
    _, y_c, _, y_t = rows
    e = mean_difference(summarise(y_c), summarise(y_t))
    ref = sps.ttest_ind(y_t, y_c, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert e.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert (e.ci_low, e.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert e.df == pytest.approx(ref.df, rel=1e-9)


def test_difference_in_means_matches_ols_hc1_up_to_its_df_convention(rows):
    _, y_c, _, y_t = rows
    frame = pd.DataFrame(
        {"y": np.r_[y_c, y_t], "arm": np.r_[np.zeros(len(y_c)), np.ones(len(y_t))]}
    )
    fit = smf.ols("y ~ arm", frame).fit(cov_type="HC1")
    e = mean_difference(summarise(y_c), summarise(y_t))
    assert e.effect == pytest.approx(fit.params["arm"], abs=1e-10)
    # HC1 scales by n/(n−k); Welch uses s²/n per arm with n−1: equal within 0.1% here.
    assert e.se == pytest.approx(fit.bse["arm"], rel=1e-3)


def test_cuped_effect_is_the_ols_arm_coefficient(rows):
    x_c, y_c, x_t, y_t = rows
    frame = pd.DataFrame(
        {
            "y": np.r_[y_c, y_t],
            "x": np.r_[x_c, x_t],
            "arm": np.r_[np.zeros(len(y_c)), np.ones(len(y_t))],
        }
    )
    frame["x_centred"] = frame.x - frame.x.mean()
    fit = smf.ols("y ~ arm + x_centred", frame).fit(cov_type="HC1")
    e = cuped_difference(with_covariate(y_c, x_c), with_covariate(y_t, x_t))
    assert e.effect == pytest.approx(fit.params["arm"], abs=1e-9)
    assert e.details["theta"] == pytest.approx(fit.params["x_centred"], abs=1e-9)
    # θ treated as known; HC1 differs by O(1/n).
    assert e.se == pytest.approx(fit.bse["arm"], rel=2e-3)
    plain = mean_difference(summarise(y_c), summarise(y_t))
    assert e.details["variance_reduction"] == pytest.approx(1 - (e.se / plain.se) ** 2)
    assert e.details["variance_reduction"] > 0.5


def test_cuped_three_arms_pooled_theta_matches_ols_with_arm_dummies():
    rng = np.random.default_rng(3)
    arms = {}
    for name, lift in (("control", 0), ("a", 1.0), ("b", 2.5)):
        x = rng.normal(50, 10, 3000)
        arms[name] = (x, 10 + lift + 0.5 * x + rng.normal(0, 5, 3000))
    frame = pd.concat([pd.DataFrame({"y": y, "x": x, "arm": n}) for n, (x, y) in arms.items()])
    fit = smf.ols("y ~ C(arm, Treatment('control')) + x", frame).fit()
    stats = {n: with_covariate(y, x) for n, (x, y) in arms.items()}
    theta = pooled_theta(list(stats.values()))
    assert theta == pytest.approx(fit.params["x"], abs=1e-10)
    for name in ("a", "b"):
        others = [s for k, s in stats.items() if k not in ("control", name)]
        e = cuped_difference(stats["control"], stats[name], others=others)
        key = f"C(arm, Treatment('control'))[T.{name}]"
        assert e.effect == pytest.approx(fit.params[key], abs=1e-9)


def test_ratio_metric_matches_linearisation_on_rows():
    rng = np.random.default_rng(5)

    def arm(rate, n):
        den = rng.poisson(5, n) + 1.0
        return rng.binomial(den.astype(int), rate).astype(float), den

    (nc, dc), (nt, dt) = arm(0.30, 5000), arm(0.32, 5200)
    e = ratio_difference(as_ratio(nc, dc), as_ratio(nt, dt))

    def linearised_var(num, den):
        r = num.sum() / den.sum()
        lin = (num - r * den) / den.mean()
        return lin.var(ddof=1) / len(num), r

    vc, rc = linearised_var(nc, dc)
    vt, rt = linearised_var(nt, dt)
    assert e.effect == pytest.approx(rt - rc, abs=1e-12)
    assert e.se == pytest.approx(np.sqrt(vc + vt), rel=1e-9)


def test_proportions_use_bernoulli_variance():
    c, t = SampleStats(1000, 300, 300), SampleStats(1000, 345, 345)
    e = proportion_difference(c, t)
    se = np.sqrt(0.3 * 0.7 / 1000 + 0.345 * 0.655 / 1000)
    assert e.effect == pytest.approx(0.045) and e.se == pytest.approx(se, rel=1e-12)


# --- simulation with known truth -----------------------------------------------------------


def simulate_summaries(rng, reps, n, effect, sd=10.0):
    """Per-replication (n, Σy, Σy²) for control and treatment arms."""
    c = rng.normal(50, sd, (reps, n))
    t = rng.normal(50 + effect, sd * 1.2, (reps, n))

    def stats(a):
        return [
            SampleStats(n, float(s), float(q)) for s, q in zip(a.sum(1), (a**2).sum(1), strict=True)
        ]

    return stats(c), stats(t)


def test_false_positive_rate_under_a_a():
    rng = np.random.default_rng(2024)
    controls, treatments = simulate_summaries(rng, 2000, 200, effect=0.0)
    rejections = np.mean(
        [mean_difference(c, t).p_value < 0.05 for c, t in zip(controls, treatments, strict=True)]
    )
    assert 0.035 <= rejections <= 0.065


def test_intervals_cover_the_true_effect():
    rng = np.random.default_rng(7)
    controls, treatments = simulate_summaries(rng, 2000, 200, effect=1.5)
    covered = np.mean(
        [
            (e.ci_low <= 1.5 <= e.ci_high)
            for e in (mean_difference(c, t) for c, t in zip(controls, treatments, strict=True))
        ]
    )
    assert 0.93 <= covered <= 0.97


def test_relative_intervals_cover_the_true_lift():
    rng = np.random.default_rng(8)
    controls, treatments = simulate_summaries(rng, 1500, 400, effect=2.0)
    truth = 52 / 50 - 1
    covered = np.mean(
        [
            (e.ci_low <= truth <= e.ci_high)
            for e in (
                mean_difference(c, t, relative=True)
                for c, t in zip(controls, treatments, strict=True)
            )
        ]
    )
    assert 0.93 <= covered <= 0.97


# --- edge cases give messages, not NaN ------------------------------------------------------


@pytest.mark.parametrize(
    "control, treatment, relative, message",
    [
        (SampleStats(0, 0, 0), SampleStats(10, 5, 5), False, "control arm has no units"),
        (SampleStats(1, 3, 9), SampleStats(10, 5, 5), False, "only 1 unit"),
        (SampleStats(5, 10, 20), SampleStats(5, 10, 20), False, "no variation"),
        (SampleStats(5, 0, 0), SampleStats(5, 3, 5), True, "control mean is 0"),
    ],
)
def test_edge_cases_explain_themselves(control, treatment, relative, message):
    with pytest.raises(NotEstimable, match=message):
        mean_difference(control, treatment, relative=relative)


def test_cuped_without_covariate_variation_is_refused():
    flat = PairedStats(SampleStats(3, 6, 14), SampleStats(3, 3.0, 3.0), 6.0)
    with pytest.raises(NotEstimable, match="does not vary"):
        cuped_difference(flat, flat)


def test_segments_merge_by_addition():
    a, b = SampleStats(3, 6, 14), SampleStats(2, 5, 13)
    assert a + b == SampleStats(5, 11, 27)
