"""Callaway–Sant'Anna on cohort summaries: unit-level influence functions, simulated
staggered rollouts (recovery, coverage), the SQL path and the demo triage rollout."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from impact.stats.did.cs import NEVER, CohortMoments, aggregate, group_time
from impact.stats.did.twfe import twfe

PERIODS = 8
COHORTS = (3, 5, NEVER)  # adoption period index per cohort
SHARES = (0.3, 0.3, 0.4)


def true_att(g: int, t: int) -> float:
    """Heterogeneous and dynamic: later cohorts gain less, effects grow with exposure."""
    return 0.0 if t < g else (2.0 if g == 3 else 1.0) * (1 + (t - g))


def simulate(rng: np.random.Generator, units: int = 200):
    cohort = np.array(COHORTS)[rng.choice(len(COHORTS), size=units, p=SHARES)]
    t = np.arange(PERIODS)
    y = rng.normal(0, 2, (units, 1)) + 0.4 * t + rng.normal(0, 1, (units, PERIODS))
    effect = np.array([[true_att(g, s) if g != NEVER else 0.0 for s in t] for g in cohort])
    return cohort, y + effect


def moments(cohort: np.ndarray, y: np.ndarray) -> CohortMoments:
    """What the warehouse returns for a balanced panel (numpy version of the same sums)."""
    cohorts = np.unique(cohort)
    means, cross, counts = [], [], []
    for c in cohorts:
        block = y[cohort == c]
        dev = block - block.mean(axis=0)
        counts.append(len(block))
        means.append(block.mean(axis=0))
        cross.append(dev.T @ dev)
    return CohortMoments(
        tuple(range(y.shape[1])), cohorts, np.array(counts), np.array(means), np.array(cross)
    )


def population_simple(groups=COHORTS, shares=SHARES) -> float:
    """did's simple aggregate with population weights P(G = g) over post cells."""
    num = den = 0.0
    for g, p in zip(groups, shares, strict=True):
        if g == NEVER:
            continue
        for t in range(g, PERIODS):
            num += p * true_att(g, t)
            den += p
    return num / den


def test_att_and_se_equal_the_unit_level_influence_function():
    rng = np.random.default_rng(1)
    cohort, y = simulate(rng, 60)
    for control in ("never", "notyet"):
        gt = group_time(moments(cohort, y), control)
        for row in gt.cells.itertuples():
            g, t = row.group, row.period
            base = g - 1 if t >= g else t - 1
            dy = y[:, t] - y[:, base]
            treat = cohort == g
            ctrl = cohort == NEVER
            if control == "notyet":
                ctrl |= (cohort > max(t, base)) & (cohort != g)
            att = dy[treat].mean() - dy[ctrl].mean()
            phi = np.where(treat, (dy - dy[treat].mean()) / treat.sum(), 0.0) - np.where(
                ctrl, (dy - dy[ctrl].mean()) / ctrl.sum(), 0.0
            )
            assert row.att == pytest.approx(att, abs=1e-10)
            assert row.se == pytest.approx(np.sqrt(np.sum(phi**2)), rel=1e-9)


def test_group_time_intervals_follow_alpha():
    """ATT(g, t) intervals are att ± z_(1 − α/2)·se at the α asked for (they were always
    95% ones), as the aggregations' are."""
    cohort, y = simulate(np.random.default_rng(1), 60)
    wide = group_time(moments(cohort, y), "notyet").cells
    narrow = group_time(moments(cohort, y), "notyet", alpha=0.10).cells
    z = sps.norm.ppf(0.95)
    np.testing.assert_allclose(narrow.ci_low, narrow.att - z * narrow.se, rtol=1e-12)
    np.testing.assert_allclose(narrow.ci_high, narrow.att + z * narrow.se, rtol=1e-12)
    np.testing.assert_allclose(narrow[["att", "se"]], wide[["att", "se"]], rtol=0)
    assert ((narrow.ci_high - narrow.ci_low) < (wide.ci_high - wide.ci_low)).all()


def _twfe_numpy(cohort, y):
    from test_did_cluster_sim import twfe_moments

    return twfe(twfe_moments(cohort, y, np.arange(len(y))))


def test_recovers_heterogeneous_effects_where_twfe_does_not():
    rng = np.random.default_rng(2)
    cohort, y = simulate(rng, 4000)
    gt = group_time(moments(cohort, y), "notyet")
    truth = np.array([true_att(g, t) for g, t in zip(gt.cells.group, gt.cells.period, strict=True)])
    assert np.max(np.abs(gt.cells.att - truth) / gt.cells.se) < 3.5
    simple = aggregate(gt, "simple").estimate
    target = population_simple()
    assert simple.ci_low < target < simple.ci_high
    dynamic = aggregate(gt, "dynamic").table.set_index("event_time")
    assert dynamic.loc[-2, "ci_low"] < 0 < dynamic.loc[-2, "ci_high"]  # no pre-trend
    # TWFE's already-treated comparisons put negative weight on the growing effects:
    # its estimate lies many standard errors away from every sensible average.
    tw = _twfe_numpy(cohort, y)
    assert abs(tw.effect - target) > 10 * tw.se
    assert abs(tw.effect - target) > 0.5


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_intervals_cover_the_truth_at_the_nominal_rate(control):
    rng = np.random.default_rng(20261125)
    reps, hits_simple, hits_cells, cells = 600, 0, 0, 0
    target = population_simple()
    for _ in range(reps):
        cohort, y = simulate(rng, 200)
        gt = group_time(moments(cohort, y), control)
        c = gt.cells
        truth = np.array([true_att(g, t) for g, t in zip(c.group, c.period, strict=True)])
        hits_cells += int(np.sum((c.ci_low < truth) & (truth < c.ci_high)))
        cells += len(c)
        e = aggregate(gt, "simple").estimate
        hits_simple += e.ci_low < target < e.ci_high
    assert 0.93 <= hits_simple / reps <= 0.97
    assert 0.93 <= hits_cells / cells <= 0.97


# csdid 0.4.3 (Python port of R's did), ATTgt(..., est_method="reg").fit(bstrap=False) and
# aggte(typec=..., bstrap=False) on this panel (ids 0–59, periods and groups shifted by 1):
# (effect, se) per aggregation, printed to 4 decimals.
CSDID = {
    "never": {
        "simple": (4.1329, 0.3930),
        "dynamic": (5.0808, 0.3316),
        "group": (3.7196, 0.3722),
        "calendar": (3.7642, 0.4145),
    },
    "notyet": {
        "simple": (4.1235, 0.3885),
        "dynamic": (5.0734, 0.3245),
        "group": (3.7122, 0.3711),
        "calendar": (3.7481, 0.4054),
    },
}
CSDID_EVENT_NOTYET = {-4: (-0.3283, 0.3350), -1: (0.1178, 0.3444), 0: (1.4307, 0.3162)}


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_aggregations_equal_csdid(control):
    cohort, y = simulate(np.random.default_rng(1), 60)
    gt = group_time(moments(cohort, y), control)
    for how, (effect, se) in CSDID[control].items():
        e = aggregate(gt, how).estimate
        assert (e.effect, e.se) == pytest.approx((effect, se), abs=6e-5), how
    if control == "notyet":
        table = aggregate(gt, "dynamic").table.set_index("event_time")
        for event, (att, se) in CSDID_EVENT_NOTYET.items():
            assert (table.att[event], table.se[event]) == pytest.approx((att, se), abs=6e-5)
