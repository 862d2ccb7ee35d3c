"""Callaway & Sant'Anna (2021) group-time effects on per-cohort sufficient statistics.

Callaway, B. and Sant'Anna, P. H. C. (2021), "Difference-in-differences with multiple time
periods", J. Econometrics 225(2), 200–230; unconditional DiD per (g, t), no covariates.
ATT(g, t) = E[Y_t − Y_b | G = g] − E[Y_t − Y_b | control], base b = g − 1 after adoption and
b = t − 1 before it (the `did` package's "varying" base period). Controls: never treated, or
not yet treated by max(t, b) (other than g).

Every influence function here is linear within a cohort c: φ_i = B_c·(Y_i − Ȳ_c) + K_c,
so with the warehouse's per-cohort n_c, Ȳ_c and centred cross-products
Q_c = Σ_i (Y_i − Ȳ_c)(Y_i − Ȳ_c)', any variance or covariance is
Σ_c B_c' Q_c B'_c + n_c K_c K'_c — no unit-level rows needed. Aggregations follow `did`'s
aggte(): weights P(G = g) with their own estimation effect in the influence function.

Clustered by groups of whole units (regions), the variance is Σ_r (Σ_(i∈r) φ_i)², from
the warehouse's per-cluster sums S_rc = Σ_(i∈r, cohort c) (Y_i − Ȳ_c) and counts n_rc:
Σ_(i∈r) φ_i = Σ_c B_c·S_rc + n_rc K_c, times G/(G − 1) for G clusters, with t(G − 1)
critical values: the CR1 conventions of the TWFE readout. (`did` itself offers only a
bootstrap when clustering; with 40 simulated regions these intervals cover 0.947, the
plain normal ones 0.938.) Clustered by unit, the normal, unscaled form matches `did`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from impact.errors import NotEstimable
from impact.stats.did.checks import Check
from impact.stats.did.inference import critical_value
from impact.stats.estimate import Caveat, Estimate
from impact.vocabulary import Control, EffectAggregation, check_choice

NEVER = -1  # cohort index of never-treated units


@dataclass(frozen=True)
class CohortMoments:
    periods: tuple  # period labels in order; cohorts index into them
    cohorts: np.ndarray  # (C,) first treated period index, NEVER for never treated
    counts: np.ndarray  # (C,) units
    means: np.ndarray  # (C, T) Ȳ_c per period
    cross: np.ndarray  # (C, T, T) Σ_i (Y_i − Ȳ_c)(Y_i − Ȳ_c)'
    unbalanced_units: int = 0  # left out for missing periods
    cluster_sums: np.ndarray | None = None  # (R, C, T) S_rc when clustered above units
    cluster_counts: np.ndarray | None = None  # (R, C) n_rc

    def keep(self, cohorts: np.ndarray) -> CohortMoments:
        """The moments of the cohorts where `cohorts` (a boolean mask) is true."""
        clustered = self.cluster_sums is not None
        return CohortMoments(
            self.periods,
            self.cohorts[cohorts],
            self.counts[cohorts],
            self.means[cohorts],
            self.cross[cohorts],
            self.unbalanced_units,
            self.cluster_sums[:, cohorts] if clustered else None,
            self.cluster_counts[:, cohorts] if clustered else None,
        )

    @property
    def clustered(self) -> bool:
        """Clustered above units (regions), rather than by unit."""
        return self.cluster_sums is not None

    @property
    def clusters(self) -> int:
        """Clusters with a unit in the kept cohorts (units when not clustered above them)."""
        if self.cluster_counts is None:
            return int(self.counts.sum())
        return int(np.sum(self.cluster_counts.sum(axis=1) > 0))


@dataclass(frozen=True)
class _Influence:
    """φ_i = B[c]·(Y_i − Ȳ_c) + K[c] for a unit of cohort c."""

    b: np.ndarray  # (C, T)
    k: np.ndarray  # (C,)


@dataclass(frozen=True)
class GroupTime:
    moments: CohortMoments
    control: str
    cells: pd.DataFrame  # group, period, event_time, att, n_treated, n_control
    b: np.ndarray  # (A, C, T)
    k: np.ndarray  # (A, C)
    warnings: tuple[Caveat, ...] = field(default=())

    def variance(self, phi: _Influence) -> float:
        m = self.moments
        if m.clustered:
            if m.clusters < 2:
                raise NotEstimable("Clustered standard errors need at least 2 clusters.")
            per_cluster = np.einsum("rct,ct->r", m.cluster_sums, phi.b) + m.cluster_counts @ phi.k
            g = m.clusters
            return float(per_cluster @ per_cluster) * g / (g - 1)
        quad = np.einsum("ct,ctu,cu->", phi.b, m.cross, phi.b)
        return float(quad + np.sum(m.counts * phi.k**2))

    def covariance(self, index: np.ndarray) -> np.ndarray:
        """Covariance of the ATT(g, t) cells at `index`, from the same influence functions
        as `variance` (its diagonal)."""
        m, b, k = self.moments, self.b[index], self.k[index]
        if m.clustered:
            per_cluster = np.einsum("rct,act->ar", m.cluster_sums, b) + k @ m.cluster_counts.T
            g = m.clusters
            return per_cluster @ per_cluster.T * g / (g - 1)
        return np.einsum("act,ctu,bcu->ab", b, m.cross, b) + np.einsum(
            "ac,c,bc->ab", k, m.counts, k
        )

    @property
    def df(self) -> int | None:
        """Normal by unit (as `did`); t with G − 1 degrees of freedom by coarser clusters."""
        return self.moments.clusters - 1 if self.moments.clustered else None

    def combine(self, weights: np.ndarray, extra_k: np.ndarray | None = None) -> _Influence:
        k = weights @ self.k
        return _Influence(
            np.einsum("a,act->ct", weights, self.b), k if extra_k is None else k + extra_k
        )


def group_time(m: CohortMoments, control: Control = "never", *, alpha: float = 0.05) -> GroupTime:
    """ATT(g, t) for every treated cohort g and period t ≥ 1 with a non-empty control,
    each with its (1 − α) interval."""
    check_choice("control", control, Control)
    warnings = []
    keep = m.cohorts != 0  # treated from the first period on: no period before adoption
    if not keep.all():
        message = (
            f"{int(m.counts[~keep].sum())} unit(s) were treated from the first period on; "
            "without a period before adoption they are left out."
        )
        warnings.append(Caveat("dropped_units", message))
        m = m.keep(keep)
    if m.unbalanced_units:
        message = (
            f"Unbalanced panel: {m.unbalanced_units} unit(s) missing some periods were left "
            "out of the group-time estimates."
        )
        warnings.append(Caveat("unbalanced", message))
    never = m.cohorts == NEVER
    single = int(np.sum((m.counts == 1) & ~never))
    if single:
        message = (
            f"{single} adoption cohort(s) hold a single unit: their group-time intervals "
            "reflect only the control units' variability and are too narrow."
        )
        warnings.append(Caveat("single_unit_cohort", message))
    if not never.any():
        message = "No never-treated units: only not-yet-treated units can serve as controls."
        warnings.append(Caveat("controls", message))
    t_count, c_count = m.means.shape[1], len(m.cohorts)
    sums = m.means * m.counts[:, None]
    rows, bs, ks = [], [], []
    for gi in np.flatnonzero(~never):
        g = int(m.cohorts[gi])
        for t in range(1, t_count):
            base = g - 1 if t >= g else t - 1
            ctrl = never.copy()
            if control == "notyet":
                ctrl |= (m.cohorts > max(t, base)) & (m.cohorts != g)
            n_c = int(m.counts[ctrl].sum())
            if n_c == 0:
                continue
            contrast = np.zeros(t_count)
            contrast[t], contrast[base] = 1.0, -1.0
            n_g = int(m.counts[gi])
            mu_t = contrast @ m.means[gi]
            mu_c = contrast @ sums[ctrl].sum(axis=0) / n_c
            b, k = np.zeros((c_count, t_count)), np.zeros(c_count)
            b[gi] = contrast / n_g
            b[ctrl] = -contrast / n_c
            # Centre on the pooled control mean, not each cohort's own.
            k[ctrl] = -(m.means[ctrl] @ contrast - mu_c) / n_c
            rows.append((g, t, t - g, mu_t - mu_c, n_g, n_c))
            bs.append(b)
            ks.append(k)
    if not rows:
        raise NotEstimable(
            "No group-time effect has a control group: there are no never-treated units "
            "and no unit is still untreated when others adopt."
        )
    cells = pd.DataFrame(
        rows, columns=["group", "period", "event_time", "att", "n_treated", "n_control"]
    )
    gt = GroupTime(m, control, cells, np.array(bs), np.array(ks), tuple(warnings))
    ses = [np.sqrt(gt.variance(_Influence(b, k))) for b, k in zip(bs, ks, strict=True)]
    z = critical_value(alpha, gt.df)
    cells["se"] = ses
    cells["ci_low"] = cells.att - z * cells.se
    cells["ci_high"] = cells.att + z * cells.se
    cells["group_label"] = [m.periods[g] for g in cells.group]
    cells["period_label"] = [m.periods[t] for t in cells.period]
    return gt


def _weighted(gt: GroupTime, index: np.ndarray) -> tuple[float, _Influence]:
    """Σ w_a ATT_a with w_a = P(G = g_a) / Σ P(G = g), counting the weights' own
    estimation effect (`did`'s wif())."""
    m, cells = gt.moments, gt.cells
    n = m.counts.sum()
    p_cohort = m.counts / n
    cohort_of = {int(c): i for i, c in enumerate(m.cohorts)}
    ci = np.array([cohort_of[int(g)] for g in cells.group.to_numpy()[index]])
    pg = p_cohort[ci]
    total = pg.sum()
    w = np.zeros(len(cells))
    w[index] = pg / total
    att = cells.att.to_numpy()[index]
    # φ(p̂_g)_i = (1{G_i = g} − p_g)/n, a per-cohort constant; stack one row per kept cell.
    phi_p = (np.eye(len(m.cohorts))[ci] - pg[:, None]) / n
    phi_w = phi_p / total - np.outer(pg / total**2, phi_p.sum(axis=0))
    effect = float(w[index] @ att)
    return effect, gt.combine(w, att @ phi_w)


def _mean(gt: GroupTime, index: np.ndarray) -> tuple[float, _Influence]:
    w = np.zeros(len(gt.cells))
    w[index] = 1 / len(index)
    return float(w @ gt.cells.att.to_numpy()), gt.combine(w)


@dataclass(frozen=True)
class CSResult:
    estimate: Estimate  # the overall effect of the requested aggregation
    table: pd.DataFrame  # the aggregation's parts: event time, group or period
    group_time: GroupTime


def aggregate(
    gt: GroupTime,
    how: EffectAggregation = "simple",
    *,
    alpha: float = 0.05,
    label: str = "",
    metric: str = "",
    cluster: str = "unit",
) -> CSResult:
    """Overall effect and its parts, as `did::aggte(type = how)` computes them."""
    check_choice("aggregation", how, EffectAggregation)
    cells = gt.cells
    post = np.flatnonzero(cells.event_time.to_numpy() >= 0)
    if len(post) == 0:
        raise NotEstimable("No period after adoption has a control group.")
    key = {"dynamic": "event_time", "group": "group", "calendar": "period"}.get(how)
    parts: list[tuple] = []
    if key is None:
        effect, phi = _weighted(gt, post)
    else:
        scope = np.arange(len(cells)) if how == "dynamic" else post
        values = cells[key].to_numpy()
        pieces = []
        for v in np.unique(values[scope]):
            index = scope[values[scope] == v]
            e, p = _mean(gt, index) if how == "group" else _weighted(gt, index)
            pieces.append((v, e, p))
        for v, e, p in pieces:
            parts.append((int(v), e, np.sqrt(gt.variance(p))))
        overall = [(v, e, p) for v, e, p in pieces if how != "dynamic" or v >= 0]
        if how == "group":
            effect, phi = _group_overall(gt, overall)
        else:
            effect = float(np.mean([e for _, e, _ in overall]))
            phi = _Influence(
                sum(p.b for _, _, p in overall) / len(overall),
                sum(p.k for _, _, p in overall) / len(overall),
            )
    z = critical_value(alpha, gt.df)
    if key is None:  # simple: its parts are the post-adoption group-time cells
        table = cells.loc[post, ["group", "period", "event_time", "att", "se"]]
    else:
        table = pd.DataFrame(parts, columns=[key, "att", "se"])
    table = table.assign(ci_low=table.att - z * table.se, ci_high=table.att + z * table.se)
    m = gt.moments
    estimate = Estimate.from_se(
        effect,
        float(np.sqrt(gt.variance(phi))),
        df=gt.df,
        alpha=alpha,
        n={
            "units": int(m.counts.sum()),
            "clusters": m.clusters,
            "treated_units": int(m.counts[m.cohorts != NEVER].sum()),
            "group_time_cells": len(cells),
        },
        method=f"Callaway–Sant'Anna ({how}, {gt.control}-treated controls, analytic SE "
        f"by {cluster})",
        warnings=gt.warnings,
        label=label,
        metric=metric,
        clusters=m.clusters,
    )
    return CSResult(estimate, table, gt)


def _group_overall(gt: GroupTime, pieces: list) -> tuple[float, _Influence]:
    """Σ_g P(G = g) ATT(g) / Σ P(G = g), with the weights' estimation effect."""
    m = gt.moments
    n = m.counts.sum()
    cohort_of = {int(c): i for i, c in enumerate(m.cohorts)}
    ci = np.array([cohort_of[int(g)] for g, _, _ in pieces])
    pg = m.counts[ci] / n
    total = pg.sum()
    w, att = pg / total, np.array([e for _, e, _ in pieces])
    phi_p = (np.eye(len(m.cohorts))[ci] - pg[:, None]) / n
    phi_w = phi_p / total - np.outer(pg / total**2, phi_p.sum(axis=0))
    b = sum(wi * p.b for wi, (_, _, p) in zip(w, pieces, strict=True))
    k = sum(wi * p.k for wi, (_, _, p) in zip(w, pieces, strict=True)) + att @ phi_w
    return float(w @ att), _Influence(b, k)


PRETEST = "pre-test of parallel trends (Callaway–Sant'Anna)"


def pretest(gt: GroupTime, alpha: float = 0.05) -> Check:
    """Wald test that every pre-adoption ATT(g, t) is 0, as `did::att_gt` prints it ("P-value
    for pre-test of parallel trends assumption"): W = ATT_pre' V⁻¹ ATT_pre with V their
    influence-function covariance, chi-square with q = number of cells. Clustered above
    units, V has rank at most G − 1: F = W/q on (q, G − 1), as the event study's test."""
    pre = np.flatnonzero(gt.cells.event_time.to_numpy() < 0)
    q = len(pre)
    hypothesis = f"all {q} pre-adoption ATT(g, t) are 0"
    if q == 0:
        note = "No group-time effect before adoption has a control group: nothing to test."
        return Check.not_run(PRETEST, hypothesis, alpha, note)
    g = gt.moments.clusters
    if gt.moments.clustered and q > g - 1:
        note = f"{q} pre-adoption cells with only {g} clusters: V is singular."
        return Check.not_run(PRETEST, hypothesis, alpha, note)
    v, att = gt.covariance(pre), gt.cells.att.to_numpy()[pre]
    if np.linalg.cond(v) > 1 / np.finfo(float).eps:  # did: rcond(preV) <= eps
        note = (
            f"The covariance of the {q} pre-adoption cells is singular (with "
            f"{int(gt.moments.counts.sum())} units it cannot separate them all): the joint "
            "test cannot be computed, and R's did declines it too."
        )
        return Check.not_run(PRETEST, hypothesis, alpha, note)
    wald = float(att @ np.linalg.solve(v, att))
    if gt.moments.clustered:
        return Check(
            PRETEST,
            hypothesis,
            "F",
            wald / q,
            (q, g - 1),
            float(sps.f(q, g - 1).sf(wald / q)),
            alpha,
        )
    return Check(PRETEST, hypothesis, "W", wald, (q,), float(sps.chi2(q).sf(wald)), alpha)
