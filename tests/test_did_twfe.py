"""TWFE in the warehouse against statsmodels OLS with unit and period dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from test_did_panel import WEEK0, load

from impact.queries.did.panel import Panel
from impact.queries.did.stored import PanelSource
from impact.stats.did.twfe import twfe


def make_panel(rng, units=24, weeks=12, drop=0.0):
    adoption = {f"r{i:02d}": (int(rng.integers(3, 10)) if i % 3 else None) for i in range(units)}
    rows = []
    for unit, start in adoption.items():
        level = rng.normal(50, 8)
        for w in range(weeks):
            if rng.random() < drop:
                continue
            effect = -4.0 if start is not None and w >= start else 0.0
            for _ in range(int(rng.integers(1, 4))):
                rows.append(
                    (
                        unit,
                        WEEK0 + pd.Timedelta(days=7 * w + int(rng.integers(0, 7))),
                        level + 0.5 * w + effect + rng.normal(0, 3),
                    )
                )
    outcomes = pd.DataFrame(rows, columns=["unit_id", "observed_at", "minutes"])
    rollouts = pd.DataFrame(
        {
            "study": "s",
            "unit_id": list(adoption),
            "treated_at": [
                WEEK0 + pd.Timedelta(days=7 * s) if s is not None else pd.NaT
                for s in adoption.values()
            ],
        }
    )
    return rollouts, outcomes


def ols_reference(outcomes, rollouts):
    monday = outcomes.observed_at.dt.tz_convert(None).dt.to_period("W-SUN").dt.start_time
    frame = outcomes.assign(period=monday.dt.tz_localize("UTC"))
    cells = frame.groupby(["unit_id", "period"], as_index=False).minutes.mean()
    cells = cells.merge(rollouts, on="unit_id")
    cells["d"] = (cells.treated_at.notna() & (cells.period >= cells.treated_at)).astype(float)
    cells["week"] = cells.period.dt.strftime("%Y-%m-%d")  # patsy wants plain categories
    fit = smf.ols("minutes ~ d + C(unit_id) + C(week)", cells).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(cells.unit_id)[0]}
    )
    return fit, cells


@pytest.mark.parametrize("drop", [0.0, 0.2], ids=["balanced", "unbalanced"])
def test_twfe_equals_ols_with_dummies_and_its_cluster_covariance(store, tmp_path, drop):
    rng = np.random.default_rng(4 if drop else 3)
    rollouts, outcomes = make_panel(rng, drop=drop)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, PanelSource("s", "tickets", "minutes")) as panel:
        moments = panel.within()
    assert moments.balanced == (drop == 0.0)
    fit, cells = ols_reference(outcomes, rollouts)
    assert moments.observations == len(cells)
    sm = twfe(moments, k="statsmodels")
    assert sm.effect == pytest.approx(fit.params["d"], abs=1e-8)
    assert sm.se == pytest.approx(fit.bse["d"], rel=1e-8)
    # fixest counts the period effects and the slope in K; the SEs differ by that factor.
    fx = twfe(moments, k="fixest")
    n, g, t = moments.observations, moments.clusters, moments.periods
    assert fx.se == pytest.approx(sm.se * np.sqrt((n - g - t) / (n - t - 1)), rel=1e-12)
    assert fx.ci_low < -4.0 < fx.ci_high
    assert any("clusters" in w.message for w in fx.warnings)  # 24 units < 30
