"""Wild cluster bootstrap against the wildboottest package, and from the warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_did_panel import SOURCE, load, make_rollout

from impact.queries.did.panel import Panel
from impact.stats.did.boot import wild_cluster_bootstrap
from impact.stats.did.twfe import twfe

START = {0: 2, 1: 2, 2: 3, 3: 4, 4: 4, 5: None, 6: None, 7: 3, 8: None, 9: 5}


def _panel():
    rng = np.random.default_rng(11)
    rows = []
    for g in range(10):
        level = rng.normal(0, 2)
        for t in range(6):
            d = float(START[g] is not None and t >= START[g])
            rows.append((g, t, d, level + 0.2 * t - 0.8 * d + rng.normal(0, 1)))
    return pd.DataFrame(rows, columns=["unit", "t", "d", "y"])


def _within(frame, column):
    x = frame[column]
    demeaned = (
        x
        - frame.groupby("unit")[column].transform("mean")
        - frame.groupby("t")[column].transform("mean")
        + x.mean()
    )
    return demeaned.to_numpy().reshape(10, 6)


def test_p_value_equals_wildboottest_full_enumeration():
    frame = _panel()
    yy, dd = _within(frame, "y"), _within(frame, "d")
    factor = 10 / 9 * 59 / (60 - 16)
    # Rademacher named: with 10 clusters the readout's default is now Webb's weights
    # (below 12 clusters), which wildboottest offers but does not enumerate.
    r = wild_cluster_bootstrap(dd @ yy.T, dd @ dd.T, factor, weights="rademacher")
    # wildboottest 0.3.2: wildboottest(smf.ols("y ~ d + C(unit) + C(t)", frame), param="d",
    # cluster=frame.unit, B=9999, weights_type="rademacher", impose_null=True) enumerates
    # all 2^10 sign vectors: statistic −1.928948, p-value 0.076172 (= 78/1024).
    assert r.enumerated and r.replications == 1024
    assert r.p_value == pytest.approx(78 / 1024, abs=1e-12)
    tau = np.trace(dd @ yy.T) / np.trace(dd @ dd.T)
    assert r.ci_low < tau < r.ci_high and r.ci_low < 0 < r.ci_high  # p > 0.05 ⇔ 0 inside


def test_bootstrap_from_the_warehouse(store, tmp_path):
    rng = np.random.default_rng(12)
    adoption = {f"u{i:02d}": s for i, s in enumerate((3, 4, 5, 6, None, None, None, 4))}
    rollouts, outcomes = make_rollout(rng, adoption)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, SOURCE) as panel:
        moments, cross = panel.within(), panel.cluster_cross()
    cy, cd = cross.cy, cross.cd
    assert cy.shape == (8, 8) and cross.units == 8
    assert np.trace(cy) == pytest.approx(moments.sxy) and np.trace(cd) == pytest.approx(moments.sxx)
    np.testing.assert_allclose(cross.own_y, np.diag(cy), rtol=1e-9)
    e = twfe(moments)
    r = wild_cluster_bootstrap(cy, cd, e.small_sample_factor)
    assert r.ci_low < e.effect < r.ci_high
    assert r.ci_high - r.ci_low > 0
