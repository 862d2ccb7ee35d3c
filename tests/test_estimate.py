"""The one result type: one inference step, typed facts, caveats with a kind, tidy rows."""

from __future__ import annotations

import math
import pickle

import pytest
from scipy import stats as sps

from impact.errors import InvalidInput
from impact.stats.estimate import Caveat, Estimate


@pytest.mark.parametrize("df", [None, 7.5, 120])
def test_from_se_is_the_textbook_interval_and_p_value(df):
    e = Estimate.from_se(1.3, 0.5, df=df, alpha=0.1, n={"units": 10}, method="m")
    dist = sps.norm if df is None else sps.t(df)
    q = dist.ppf(0.95)
    assert (e.ci_low, e.ci_high) == pytest.approx((1.3 - q * 0.5, 1.3 + q * 0.5), rel=1e-15)
    assert e.p_value == pytest.approx(2 * dist.sf(1.3 / 0.5), rel=1e-15)
    assert e.alpha == 0.1 and e.df == df and e.significant
    assert Estimate.critical_value(0.1, df) == pytest.approx(q, rel=1e-15)


def test_a_zero_standard_error_gives_a_point_interval():
    e = Estimate.from_se(2.0, 0.0, n={}, method="m")
    assert (e.ci_low, e.ci_high, e.p_value) == (2.0, 2.0, 0.0)


def test_caveats_have_a_kind_and_read_as_their_message():
    c = Caveat("pretrend", "Pre-trend test failed (F = 3.1, p = 0.010): …")
    assert c.kind == "pretrend" and c.startswith("Pre-trend") and c.message == str(c)
    back = pickle.loads(pickle.dumps(c))  # st.cache_data pickles results
    assert back == c and back.kind == "pretrend"
    with pytest.raises(InvalidInput, match="caveat kind must be one of"):
        Caveat("pretrends", "typo in the kind")


def test_caveats_are_selected_by_kind_and_not_doubled():
    e = Estimate.from_se(1.0, 1.0, n={}, method="m")
    e = e.with_warning("placebo", "Placebo test failed.").with_caveats(
        [Caveat("placebo", "Placebo test failed."), Caveat("few_clusters", "Only 8 clusters.")]
    )
    assert [w.kind for w in e.warnings] == ["placebo", "few_clusters"]
    assert e.caveats("few_clusters") == ("Only 8 clusters.",)


def test_tidy_is_one_flat_json_ready_row():
    e = Estimate.from_se(
        0.5,
        0.25,
        df=30,
        n={"control": 10, "treatment": 12},
        method="Welch t-test",
        label="b vs a",
        treatment_arm="b",
        control_arm="a",
        details={"theta": math.nan, "analytic_ci": (0.1, 0.9)},
    ).with_warning("srm", "Sample ratio mismatch.")
    row = e.tidy()
    assert row["n_control"] == 10 and row["n_treatment"] == 12
    assert row["treatment_arm"] == "b" and row["control_arm"] == "a"
    assert row["significant"] is False and row["theta"] is None  # NaN becomes None
    assert row["analytic_ci"] == [0.1, 0.9]
    assert row["warnings"] == ["Sample ratio mismatch."] and row["warning_kinds"] == ["srm"]
    assert "details" not in row and "n" not in row
