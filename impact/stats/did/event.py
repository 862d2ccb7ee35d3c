"""Event study: leads and lags of adoption in a two-way fixed-effects regression.

y_it = α_i + λ_t + Σ_{k ≠ −1} β_k 1{t − g_i = k} + ε_it, end points binned (every event time
at or beyond the last lead or lag shares one coefficient), period −1 the reference. The
warehouse returns the within moments Ẍ'Ẍ, Ẍ'ÿ and, after a second pass with β, the
cluster score cross-products Σ_g s_g s_g' with s_g = Σ_(i,t)∈g ẍ_it ê_it over clusters g
(units, or groups of whole units such as regions). CR1 variance
    V = (Ẍ'Ẍ)⁻¹ Σ_g s_g s_g' (Ẍ'Ẍ)⁻¹ · G/(G − 1) · (N − 1)/(N − K),
K counted as in impact.stats.did.twfe ("fixest": regressors + T; "statsmodels": regressors +
U + T − 1 for U units). Pre-trend test: Wald W = β_L' V_LL⁻¹ β_L over the q leads,
F = W/q on (q, G − 1) degrees of freedom (Stata's `test` after clustered regression).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from impact.errors import NotEstimable
from impact.stats.did.inference import cr1_factor, critical_value
from impact.stats.estimate import Caveat, Estimate
from impact.vocabulary import KConvention, check_choice


@dataclass(frozen=True)
class EventMoments:
    events: tuple[int, ...]  # event time of each regressor (−1 left out)
    xtx: np.ndarray  # (k, k) Ẍ'Ẍ
    xty: np.ndarray  # (k,) Ẍ'ÿ
    observations: int
    clusters: int
    periods: int
    treated_units: int
    units: int

    def coefficients(self) -> np.ndarray:
        if np.linalg.matrix_rank(self.xtx) < len(self.events):
            raise NotEstimable(
                "Some event times cannot be told apart from the fixed effects (too few "
                "periods before or after adoption); use fewer leads or lags."
            )
        return np.linalg.solve(self.xtx, self.xty)


@dataclass(frozen=True)
class EventStudy:
    table: pd.DataFrame  # event_time, coef, se, ci_low, ci_high (−1 as the 0 reference)
    pretrend_wald: float  # W
    pretrend_p: float  # from F(q, G − 1)
    estimate: Estimate  # average of the lag coefficients (event times ≥ 0)
    covariance: np.ndarray
    leads: int  # lead coefficients (event times before −1) the pre-trend test is about


def event_study(
    m: EventMoments,
    scores: np.ndarray,
    *,
    alpha: float = 0.05,
    k: KConvention = "fixest",
    label: str = "",
    metric: str = "",
    cluster: str = "unit",
) -> EventStudy:
    """`scores` = Σ_g s_g s_g' from the warehouse's second pass at β = m.coefficients()."""
    check_choice("k", k, KConvention)
    beta = m.coefficients()
    n, g, regressors = m.observations, m.clusters, len(m.events)
    params = regressors + (m.periods if k == "fixest" else m.units + m.periods - 1)
    factor = cr1_factor(g, n, params, cluster)
    bread = np.linalg.inv(m.xtx)
    cov = bread @ scores @ bread * factor
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    q = critical_value(alpha, g - 1)
    table = pd.DataFrame({"event_time": m.events, "coef": beta, "se": se})
    table = table.assign(ci_low=table.coef - q * table.se, ci_high=table.coef + q * table.se)
    reference = pd.DataFrame([{"event_time": -1, "coef": 0.0, "se": 0.0, "ci_low": 0.0}])
    table = pd.concat([table, reference.assign(ci_high=0.0)]).sort_values("event_time")
    leads = [i for i, e in enumerate(m.events) if e < -1]
    warnings = []
    if leads and len(leads) > g - 1:
        # A cluster-robust covariance has rank at most G − 1: the joint test is undefined.
        wald, p_pre = math.nan, math.nan
        message = (
            f"Pre-trends cannot be tested jointly: {len(leads)} leads with only {g} clusters "
            f"({cluster}s); use at most {g - 1} leads."
        )
        warnings.append(Caveat("pretrend", message))
    elif leads:
        b, v = beta[leads], cov[np.ix_(leads, leads)]
        wald = float(b @ np.linalg.solve(v, b))
        p_pre = float(sps.f(len(leads), g - 1).sf(wald / len(leads)))
        if p_pre < alpha:
            message = (
                f"Pre-trend test failed (F = {wald / len(leads):.2f}, p = {p_pre:.3f}): "
                "treated and control units already diverged before adoption, so the "
                "parallel-trends assumption behind this estimate is doubtful."
            )
            warnings.append(Caveat("pretrend", message))
    else:
        wald, p_pre = math.nan, math.nan
        message = "No periods before adoption besides −1: pre-trends cannot be tested."
        warnings.append(Caveat("pretrend", message))
    lags = np.array([e >= 0 for e in m.events], dtype=float)
    weights = lags / lags.sum()
    estimate = Estimate.from_se(
        float(weights @ beta),
        float(math.sqrt(max(weights @ cov @ weights, 0.0))),
        df=g - 1,
        alpha=alpha,
        n={"observations": n, "units": m.units, "clusters": g, "treated_units": m.treated_units},
        method=f"event study (TWFE leads and lags, CR1 by {cluster}, K={params}, {k})",
        warnings=tuple(warnings),
        label=label,
        metric=metric,
        clusters=g,
        small_sample_factor=factor,
        details={"pretrend_wald": wald, "pretrend_p": p_pre},
    )
    return EventStudy(table.reset_index(drop=True), wald, p_pre, estimate, cov, len(leads))
