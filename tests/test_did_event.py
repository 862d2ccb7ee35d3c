"""Event study and placebo in the warehouse against statsmodels OLS with dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from test_did_panel import SOURCE, cell_means, load, make_rollout

from impact.queries.did.panel import Panel
from impact.stats.did.event import event_study
from impact.stats.did.twfe import twfe

STARTS = (3, 3, 5, 5, 6, 8, None, None)


def _ols(cells, formula):
    cells = cells.assign(w=cells.week.astype(str))
    return smf.ols(formula, cells).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(cells.unit_id)[0]}
    )


@pytest.mark.parametrize("drop", [set(), {("u01", 4), ("u09", 0), ("u12", 7)}])
def test_event_study_equals_ols_with_event_unit_and_period_dummies(store, tmp_path, drop):
    rng = np.random.default_rng(8)
    adoption = {f"u{i:02d}": s for i, s in enumerate(STARTS * 4)}
    rollouts, outcomes = make_rollout(rng, adoption, drop=drop)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, SOURCE) as panel:
        m, scores = panel.event(leads=3, lags=3)
    es = event_study(m, scores, k="statsmodels")
    cells = cell_means(outcomes, rollouts)
    event = (cells.week - cells.start).clip(-3, 3)
    names = []
    for e in m.events:
        name = f"e{'m' if e < 0 else 'p'}{abs(e)}"
        cells[name] = (event == e).astype(float)
        names.append(name)
    fit = _ols(cells, f"minutes ~ {' + '.join(names)} + C(unit_id) + C(w)")
    table = es.table.set_index("event_time")
    for e, name in zip(m.events, names, strict=True):
        assert table.coef[e] == pytest.approx(fit.params[name], abs=1e-8)
        assert table.se[e] == pytest.approx(fit.bse[name], rel=1e-7)
    leads = [n for e, n in zip(m.events, names, strict=True) if e < -1]
    wald = fit.wald_test(", ".join(f"{n} = 0" for n in leads), use_f=False, scalar=True)
    assert es.pretrend_wald == pytest.approx(float(wald.statistic), rel=1e-7)
    assert es.pretrend_p > 0.01  # no pre-trend was simulated
    assert table.coef[-1] == 0.0 and es.estimate.effect < -2


def test_placebo_adoption_shows_no_effect_where_the_real_one_does(store, tmp_path):
    rng = np.random.default_rng(9)
    adoption = {f"u{i:02d}": s for i, s in enumerate(STARTS * 4)}
    rollouts, outcomes = make_rollout(rng, adoption)
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, SOURCE) as panel:
        real = twfe(panel.within())
        placebo = twfe(panel.placebo(shift=2), k="statsmodels")
    assert real.ci_high < 0 and placebo.ci_low < 0 < placebo.ci_high
    cells = cell_means(outcomes, rollouts)
    cells = cells[cells.start.isna() | (cells.week < cells.start)].copy()
    cells["d"] = (cells.start.notna() & (cells.week >= cells.start - 2)).astype(float)
    fit = _ols(cells, "minutes ~ d + C(unit_id) + C(w)")
    assert placebo.effect == pytest.approx(fit.params["d"], abs=1e-8)
    assert placebo.se == pytest.approx(fit.bse["d"], rel=1e-7)


def test_a_pre_trend_fails_the_wald_test_and_warns(store, tmp_path):
    rng = np.random.default_rng(10)
    adoption = {f"u{i:02d}": s for i, s in enumerate(STARTS * 4)}
    rollouts, outcomes = make_rollout(rng, adoption)
    week = (outcomes.observed_at - pd.Timestamp("2026-01-05", tz="UTC")).dt.days // 7
    treated = outcomes.unit_id.map(lambda u: adoption[u] is not None)
    outcomes["minutes"] += np.where(treated, 1.5 * week, 0.0)  # treated units drift upwards
    load(store, tmp_path, rollouts, outcomes)
    with Panel.open(store.warehouse, SOURCE) as panel:
        es = event_study(*panel.event(leads=3, lags=3))
    assert es.pretrend_p < 0.01
    assert any("Pre-trend test failed" in w.message for w in es.estimate.warnings)
