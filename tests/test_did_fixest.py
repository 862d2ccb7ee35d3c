"""The "fixest" small-sample convention against pyfixest's published defaults.

pyfixest 0.60.0 is not a test dependency (only `make bench` installs it), so its numbers on
this seeded panel are pinned here, printed by:
    fit = pyfixest.feols("y ~ d | unit + t", df, vcov={"CRV1": "unit"})       # or "region"
    fit = pyfixest.feols("y ~ e0 + e1 + e3 + e4 + e5 | unit + t", df, vcov={"CRV1": "unit"})
with e0…e5 the event-time dummies −3 (binned) … +2 (binned), −1 left out.
"""

from __future__ import annotations

import numpy as np
import pytest

from impact.stats.did.event import EventMoments, event_study
from impact.stats.did.twfe import WithinMoments, twfe

PYFIXEST = {
    "effect": 0.05112074329843197,
    "se_unit": 0.405655829721933,
    "se_region": 0.22073756747843706,
    "event_se": [0.6778898573667973, 0.44555319435657126, 0.4179633513679521]
    + [0.570558833584317, 0.6396537303747828],
}
UNITS, PERIODS = 24, 7


def panel():
    rng = np.random.default_rng(2026)
    start = np.array([3, 4, 5, 99] * 6)  # 99: not treated within the panel
    region = np.arange(UNITS) // 3
    y = (
        rng.normal(size=(UNITS, PERIODS))
        + rng.normal(size=(UNITS, 1))
        + rng.normal(size=(8, PERIODS))[region]
    )
    d = (np.arange(PERIODS) >= start[:, None]).astype(float)
    return y - 0.8 * d, d, start, region


def within(a):
    return a - a.mean(1, keepdims=True) - a.mean(0, keepdims=True) + a.mean()


@pytest.mark.parametrize("by", ["unit", "region"])
def test_twfe_standard_errors_equal_pyfixest_defaults(by):
    y, d, _, region = panel()
    cluster = np.arange(UNITS) if by == "unit" else region
    yy, dd = within(y), within(d)
    a = np.bincount(cluster, (dd * yy).sum(1))
    b = np.bincount(cluster, (dd * dd).sum(1))
    m = WithinMoments(
        (dd * yy).sum(), (dd * dd).sum(), a @ a, a @ b, b @ b, y.size, len(a), PERIODS, 18, UNITS
    )
    e = twfe(m, k="fixest", cluster=by)
    assert e.effect == pytest.approx(PYFIXEST["effect"], abs=1e-12)
    assert e.se == pytest.approx(PYFIXEST[f"se_{by}"], rel=1e-10)
    assert e.details["k"] == PERIODS + 1


def test_event_study_standard_errors_equal_pyfixest_defaults():
    y, _, start, _ = panel()
    events = (-3, -2, 0, 1, 2)
    t = np.arange(PERIODS)
    binned = np.clip(t - start[:, None], -3, 2)
    treated = start[:, None] < 99
    x = np.stack([within(((binned == e) & treated).astype(float)) for e in events], axis=-1)
    yy = within(y)
    xtx = np.einsum("utk,utl->kl", x, x)
    beta = np.linalg.solve(xtx, np.einsum("utk,ut->k", x, yy))
    scores = np.einsum("utk,ut->uk", x, yy - x @ beta)
    m = EventMoments(events, xtx, np.einsum("utk,ut->k", x, yy), y.size, UNITS, PERIODS, 18, UNITS)
    es = event_study(m, scores.T @ scores, k="fixest")
    table = es.table.set_index("event_time")
    np.testing.assert_allclose(table.se[list(events)], PYFIXEST["event_se"], rtol=1e-10)
