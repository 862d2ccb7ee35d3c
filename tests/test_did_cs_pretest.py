"""Callaway–Sant'Anna's pre-test of parallel trends: R `did`'s printed value on mpdta, the
same Wald statistic from unit-level influence functions, and its size under a true null."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from test_did_cs import moments, simulate

from impact.stats.did.cs import NEVER, group_time, pretest

MPDTA = Path(__file__).parent / "reference" / "mpdta.csv"


def mpdta():
    """Cohort index (NEVER for first.treat = 0) and the (500, 5) log employment matrix."""
    frame = pd.read_csv(MPDTA).sort_values(["countyreal", "year"])
    y = frame.lemp.to_numpy().reshape(-1, 5)
    first = frame.groupby("countyreal")["first.treat"].first().to_numpy()
    return np.where(first == 0, NEVER, first - 2003), y


@pytest.mark.parametrize(
    ("control", "wald", "p"),
    # R did 2.x, att_gt(yname="lemp", tname="year", idname="countyreal",
    # gname="first.treat", xformla=~1, data=mpdta, control_group=..., bstrap=FALSE)$W and
    # $Wpval (rounded to 5 digits by did): summary(att_gt) prints "P-value for pre-test of
    # parallel trends assumption: 0.16812" for never-treated controls.
    [("never", 7.79123662720035, 0.16812), ("notyet", 7.79092771882739, 0.16814)],
)
def test_pretest_equals_r_did_on_mpdta(control, wald, p):
    cohort, y = mpdta()
    gt = group_time(moments(cohort, y), control)
    check = pretest(gt)
    assert check.statistic_name == "W" and check.df == (5,)
    assert check.statistic == pytest.approx(wald, rel=1e-9)
    assert round(check.p_value, 5) == p
    assert check.passed and check.outcome == "passed"
    # R's ATT(2006, 2004), a pre-adoption cell: 0.00652011242423301 (se 0.0233268051418047)
    if control == "never":
        row = gt.cells.query("group == 3 and period == 1").iloc[0]
        assert row.att == pytest.approx(0.00652011242423301, rel=1e-9)
        assert row.se == pytest.approx(0.0233268051418047, rel=1e-6)


def test_pretest_equals_the_wald_statistic_of_unit_level_influence_functions():
    rng = np.random.default_rng(3)
    cohort, y = simulate(rng, 80)
    gt = group_time(moments(cohort, y), "notyet")
    phis, atts = [], []
    for row in gt.cells.query("event_time < 0").itertuples():
        g, t = row.group, row.period
        base = t - 1
        dy = y[:, t] - y[:, base]
        treat = cohort == g
        ctrl = (cohort == NEVER) | ((cohort > max(t, base)) & (cohort != g))
        atts.append(dy[treat].mean() - dy[ctrl].mean())
        phis.append(
            np.where(treat, (dy - dy[treat].mean()) / treat.sum(), 0.0)
            - np.where(ctrl, (dy - dy[ctrl].mean()) / ctrl.sum(), 0.0)
        )
    phi, att = np.array(phis), np.array(atts)
    wald = att @ np.linalg.solve(phi @ phi.T, att)
    check = pretest(gt)
    assert check.statistic == pytest.approx(wald, rel=1e-9)
    assert check.p_value == pytest.approx(sps.chi2(len(att)).sf(wald), rel=1e-9)


def test_pretest_fails_on_a_pre_trend_and_holds_its_size_under_the_null():
    """Parallel trends hold in `simulate`: 150 panels reject at about α (sd 0.018). A
    treated cohort drifting before adoption is caught."""
    rng = np.random.default_rng(4)
    rejected = sum(not pretest(group_time(moments(*simulate(rng, 200)))).passed for _ in range(150))
    assert rejected / 150 <= 0.09
    cohort, y = simulate(rng, 200)
    y = y + np.where(cohort == 5, 0.5, 0.0)[:, None] * np.arange(y.shape[1])
    check = pretest(group_time(moments(cohort, y)))
    assert not check.passed and check.outcome == "failed" and check.p_value < 0.001


def test_pretest_by_region_uses_region_sums_of_influence_functions_and_f():
    from test_did_cluster_sim import cohort_moments
    from test_did_cluster_sim import simulate as regional

    rng = np.random.default_rng(5)
    region, start, y = regional(rng, regions=20, per_region=4)
    gt = group_time(cohort_moments(start, y, region), "never")
    phis, atts = [], []
    for row in gt.cells.query("event_time < 0").itertuples():
        dy = y[:, row.period] - y[:, row.period - 1]
        treat, ctrl = start == row.group, start == NEVER
        atts.append(dy[treat].mean() - dy[ctrl].mean())
        phi = np.where(treat, (dy - dy[treat].mean()) / treat.sum(), 0.0) - np.where(
            ctrl, (dy - dy[ctrl].mean()) / ctrl.sum(), 0.0
        )
        phis.append([phi[region == r].sum() for r in range(20)])
    per_region, att = np.array(phis), np.array(atts)
    q = len(att)
    wald = att @ np.linalg.solve(per_region @ per_region.T * 20 / 19, att)
    check = pretest(gt)
    assert check.statistic_name == "F" and check.df == (q, 19)
    assert check.statistic == pytest.approx(wald / q, rel=1e-9)
    assert check.p_value == pytest.approx(sps.f(q, 19).sf(wald / q), rel=1e-9)
