"""The wild bootstrap with few clusters: Webb's weights, every pattern enumerated when that
is cheaper than drawing, p never below its resolution; against brute-force refits of OLS on
raw rows, and its false-positive rate under a true null."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from impact.stats.did.boot import more_cautious, wild_cluster_bootstrap


def _panel(rng, clusters, per_cluster=2, periods=5, effect=0.0, starts=None):
    """Rows (unit, t, d, y, cluster) of a balanced panel; half the clusters adopt."""
    units = clusters * per_cluster
    starts = starts or {c: (2 + c % 2 if c < clusters // 2 else None) for c in range(clusters)}
    shock = rng.normal(0, 1, (clusters, periods))
    rows = []
    for i in range(units):
        c, level = i % clusters, rng.normal(0, 2)
        for t in range(periods):
            d = float(starts[c] is not None and t >= starts[c])
            rows.append((i, t, d, level + 0.3 * t + effect * d + shock[c, t] + rng.normal(), c))
    return np.array(rows)


def _within(rows, column, units, periods):
    x = rows[:, column].reshape(units, periods)
    return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0) + x.mean()


def _sums(rows, clusters):
    """The cross sums the warehouse returns (cluster_cross) and CR1's factor."""
    units, periods = int(rows[:, 0].max()) + 1, int(rows[:, 1].max()) + 1
    dd, yy = _within(rows, 2, units, periods), _within(rows, 3, units, periods)
    member = np.eye(clusters)[rows[::periods, 4].astype(int)]  # (units, clusters)
    cy, cd = member.T @ (dd @ yy.T) @ member, member.T @ (dd @ dd.T) @ member
    own_y, own_d = member.T @ np.sum(dd * yy, axis=1), member.T @ np.sum(dd * dd, axis=1)
    n, k = units * periods, units + periods  # statsmodels' K: every dummy and the slope
    factor = clusters / (clusters - 1) * (n - 1) / (n - k)
    return {"cy": cy, "cd": cd, "factor": factor, "own_y": own_y, "own_d": own_d, "units": units}


def _bootstrap(sums, **kw):
    s = dict(sums)
    return wild_cluster_bootstrap(s.pop("cy"), s.pop("cd"), s.pop("factor"), **s, **kw)


def _design(rows):
    units, periods = int(rows[:, 0].max()) + 1, int(rows[:, 1].max()) + 1
    fe = np.hstack(
        [np.eye(units)[rows[:, 0].astype(int)], np.eye(periods)[rows[:, 1].astype(int)][:, 1:]]
    )
    return np.column_stack([rows[:, 2], fe]), fe


def _t(y, x, groups):
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return fit.tvalues[0]


@pytest.mark.parametrize("weights", ["webb", "rademacher"])
def test_enumerated_p_equals_brute_force_refits_on_raw_rows(weights):
    """Impose τ = 0, multiply each cluster's restricted residuals by every weight pattern,
    refit OLS with every dummy and cluster-robust (CR1) SEs: the enumerated p is the share
    of |t*| > |t| exactly (wildboottest's and fwildclusterboot's strict count)."""
    rng = np.random.default_rng(61)
    rows = _panel(rng, clusters=4, effect=1.0)
    groups = rows[:, 4].astype(int)
    x, fe = _design(rows)
    y = rows[:, 3]
    observed = abs(_t(y, x, groups))
    restricted = sm.OLS(y, fe).fit()
    points = (
        [-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)]
        if weights == "webb"
        else [-1.0, 1.0]
    )
    beyond = 0
    patterns = list(itertools.product(points, repeat=4))
    for signs in patterns:
        star = restricted.fittedvalues + np.array(signs)[groups] * restricted.resid
        beyond += abs(_t(star, x, groups)) > observed * (1 + 1e-10)
    r = _bootstrap(_sums(rows, 4), weights=weights)
    assert r.enumerated and r.replications == len(patterns) == len(points) ** 4
    assert r.weights == weights
    assert r.share == pytest.approx(beyond / len(patterns), abs=1e-12)
    assert r.resolution == pytest.approx(2 / len(patterns))
    assert r.p_value == pytest.approx(max(beyond / len(patterns), 2 / len(patterns)))


def test_webb_weights_are_chosen_below_twelve_clusters():
    rng = np.random.default_rng(62)
    assert _bootstrap(_sums(_panel(rng, clusters=4), 4)).weights == "webb"
    r = _bootstrap(_sums(_panel(rng, clusters=8), 8))
    # 6^8 patterns are more than 9,999 draws: drawn, resolution 1/9,999.
    assert r.weights == "webb" and not r.enumerated and r.replications == 9999
    assert r.resolution == pytest.approx(1 / 9999)
    r = _bootstrap(_sums(_panel(rng, clusters=12), 12))
    assert r.weights == "rademacher" and r.enumerated and r.replications == 4096


def test_eight_clusters_never_print_p_zero():
    """The issue's case: 8 clusters, Rademacher, a clear effect. Every one of the 256 sign
    patterns lands inside |t|, so the share is 0, yet 256 patterns (128 distinct |t*|)
    cannot show p below 1/128: p is reported as 1/128, flagged as a bound."""
    rng = np.random.default_rng(63)
    rows = _panel(rng, clusters=8, effect=6.0)
    r = _bootstrap(_sums(rows, 8), weights="rademacher")
    assert r.enumerated and r.replications == 256
    assert r.share == 0.0  # what was printed before as "p = 0"
    assert r.p_value == pytest.approx(1 / 128) and r.at_resolution
    assert r.ci_low > 0  # the inverted interval agrees with p < 0.05


def test_an_alpha_finer_than_the_resolution_gives_no_finite_interval():
    """With 4 clusters and Rademacher, p ≥ 1/8: no τ0 is rejected at α = 0.05."""
    rng = np.random.default_rng(64)
    r = _bootstrap(_sums(_panel(rng, clusters=4, effect=6.0), 4), weights="rademacher")
    assert r.p_value >= 1 / 8 and r.ci_low == -math.inf and r.ci_high == math.inf


def test_false_positive_rate_under_a_true_null_with_eight_clusters():
    """200 null panels of 8 clusters (Webb, 999 draws): the rejection rate at α = 0.05
    stays near 0.05 (binomial sd 0.015). The run outside the suite uses 2,000 panels."""
    rng = np.random.default_rng(65)
    rejected = 0
    sims = 200
    for _ in range(sims):
        r = _bootstrap(_sums(_panel(rng, clusters=8, per_cluster=3), 8), reps=999)
        rejected += r.p_value < 0.05
    assert rejected / sims <= 0.085


def _cr1(sums, clusters):
    """CR1's p with t(G − 1) and its interval, from the same sums (as twfe computes them)."""
    a, b = sums["own_y"], sums["own_d"]
    tau = a.sum() / b.sum()
    se = math.sqrt(np.sum((a - tau * b) ** 2) * sums["factor"]) / b.sum()
    q = stats.t.ppf(0.975, clusters - 1)
    return 2 * stats.t.sf(abs(tau / se), clusters - 1), (tau - q * se, tau + q * se)


@pytest.mark.parametrize(("treated", "cr1_at_least"), [(4, None), (2, 0.08)])
def test_the_more_cautious_of_bootstrap_and_cr1_holds_its_size(treated, cr1_at_least):
    """8 clusters under a true null, half or 2 of them treated. CR1 with t(7) alone rejects
    10.7% with 2 treated, the bootstrap alone 6.5% with 4 (2,000 panels each,
    scripts/did_few_clusters.py); the readout's rule, the more cautious of the two, stays
    at or below α in both. 300 panels here: binomial sd 0.013."""
    rng = np.random.default_rng(66 + treated)
    sims, cautious, cr1_rejects = 300, 0, 0
    starts = {c: (2 + c % 2 if c < treated else None) for c in range(8)}
    for _ in range(sims):
        sums = _sums(_panel(rng, clusters=8, per_cluster=3, starts=starts), 8)
        p_cr1, ci = _cr1(sums, 8)
        p, low, high, _ = more_cautious(p_cr1, ci, _bootstrap(sums, reps=999))
        assert (p < 0.05) == (not low <= 0 <= high)  # the decision and the hull agree
        cautious += p < 0.05
        cr1_rejects += p_cr1 < 0.05
    assert cautious / sims <= 0.065
    if cr1_at_least:
        assert cr1_rejects / sims >= cr1_at_least  # what the bootstrap protects against
