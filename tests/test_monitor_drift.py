"""Drift statistics: PSI by hand, the rest against scipy on the same rows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from impact.monitor import drift as dr


def test_psi_hand_computed():
    # e = (.5, .5), a = (.25, .75): (−.25)·ln(.5) + (.25)·ln(1.5) = 0.25·(ln 2 + ln 1.5)
    assert dr.psi([50, 50], [25, 75]) == pytest.approx(0.2746530722, abs=1e-10)
    # An empty reference bin is floored at 1e-4: (.5 − 1)·ln(.5) + (.5 − 1e-4)·ln(.5 / 1e-4)
    assert dr.psi([10, 0], [5, 5]) == pytest.approx(4.6043184667, abs=1e-9)
    assert dr.psi([3, 7], [30, 70]) == pytest.approx(0.0, abs=1e-15)


def test_psi_labels_follow_the_rule_of_thumb():
    assert [dr.psi_label(v) for v in (0.05, 0.1, 0.2, 0.25, 0.9)] == [
        "little change",
        "moderate change",
        "moderate change",
        "significant change",
        "significant change",
    ]
    assert "no error rate" in dr.PSI_NOTE


def test_js_distance_equals_scipy():
    ref, cur = np.array([5, 10, 0, 20]), np.array([8, 0, 4, 9])
    assert dr.js_distance(ref, cur) == pytest.approx(jensenshannon(ref, cur, base=2), abs=1e-12)
    assert dr.js_distance([1, 0], [0, 1]) == pytest.approx(1.0)


def test_ks_p_value_equals_ks_2samp():
    rng = np.random.default_rng(11)
    ref, cur = rng.normal(0, 1, 3000), rng.normal(0.1, 1, 60)
    expected = stats.ks_2samp(ref, cur, method="asymp")
    assert dr.ks_p_value(expected.statistic, len(ref), len(cur)) == pytest.approx(
        expected.pvalue, rel=1e-12
    )
    # Above 10,000 rows scipy's default method is the same asymptotic one.
    big = rng.normal(0, 1, 12_000)
    default = stats.ks_2samp(big, cur)
    assert dr.ks_p_value(default.statistic, len(big), len(cur)) == pytest.approx(
        default.pvalue, rel=1e-12
    )


def test_chi_square_equals_scipy_contingency():
    ref, cur = np.array([120, 80, 40, 0, 10]), np.array([20, 25, 5, 0, 6])
    statistic, dof, p = dr.chi_square(ref, cur)
    table = np.vstack([ref, cur])[:, [0, 1, 2, 4]]  # scipy rejects an all-zero category
    expected = stats.chi2_contingency(table, correction=False)
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert dof == expected.dof and p == pytest.approx(expected.pvalue, rel=1e-12)
    assert np.isnan(dr.chi_square([5, 0], [3, 0])[0])  # one category: nothing to test
