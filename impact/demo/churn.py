"""Churn-prevention model in a three-arm A/B test: assignments, revenue, retention, scores."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from impact.demo import truth as T
from impact.demo.arrow import (
    DAY_US,
    booleans,
    constant,
    id_width,
    ids,
    labels,
    micros,
    numbers,
    spread,
    timestamps,
)

REGION_P = (0.18, 0.14, 0.15, 0.12, 0.13, 0.1, 0.08, 0.1)
CHANNELS = ("web", "app", "store", "phone")
CHANNEL_P = (0.4, 0.3, 0.2, 0.1)
TRANSACTIONS_PER_PERIOD = 3.0  # Poisson mean, plus one: every customer buys at least once
HOUR_US = 3_600 * 1_000_000


def build(rng: np.random.Generator, customers: int) -> dict[str, pa.Table]:
    n = customers
    unit = ids("cust-", np.arange(1, n + 1), id_width(n))
    arm = rng.integers(0, len(T.ARMS), size=n)
    start = micros(T.ASSIGN_START)
    assigned = start + rng.integers(0, T.ASSIGN_DAYS * DAY_US, size=n)
    region = rng.choice(len(T.REGIONS), size=n, p=REGION_P)
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)

    # Pre and post revenue share one latent spend per customer, which is what lets CUPED
    # remove most of the between-customer variance.
    s, p = T.REVENUE_SPEND_SIGMA, T.REVENUE_PERIOD_SIGMA
    spend = T.REVENUE_CONTROL_MEAN * np.exp(s * rng.standard_normal(n) - s * s / 2)
    pre_total = spend * np.exp(p * rng.standard_normal(n) - p * p / 2)
    lift = np.array([T.REVENUE_EFFECT[a] for a in T.ARMS])[arm]
    post_total = spend * np.exp(p * rng.standard_normal(n) - p * p / 2) + lift

    # Churn probability q ~ Beta with mean 1 − RETENTION_CONTROL; an arm scales it down so
    # retention rises by exactly RETENTION_EFFECT in expectation.
    q = rng.beta(*T.CHURN_BETA, size=n)
    base = 1 - T.RETENTION_CONTROL
    scale = np.array([(base - T.RETENTION_EFFECT[a]) / base for a in T.ARMS])[arm]
    churned = rng.random(n) < q * scale

    window = T.WINDOW_DAYS * DAY_US
    pre_owner, pre_at, pre_value = _transactions(rng, pre_total, assigned, -window, 0)
    post_owner, post_at, post_value = _transactions(rng, post_total, assigned, 0, window - HOUR_US)
    retained_at = assigned + window - HOUR_US  # inside the window, at its end
    owner = np.concatenate([pre_owner, post_owner, np.arange(n)])
    k = len(pre_owner) + len(post_owner)
    is_revenue = np.arange(len(owner)) < k
    outcomes = pa.table(
        {
            "unit_id": unit.take(pa.array(owner)),
            "observed_at": timestamps(np.concatenate([pre_at, post_at, retained_at])),
            "revenue": numbers(
                np.concatenate([pre_value, post_value, np.zeros(n)]), mask=~is_revenue
            ),
            "retained": numbers(
                np.concatenate([np.zeros(k), (~churned).astype(float)]), mask=is_revenue
            ),
            "region": labels(T.REGIONS, region[owner]),
            "channel": labels(CHANNELS, channel[owner]),
        }
    )
    assignments = pa.table(
        {
            "experiment": constant(T.EXPERIMENT, n),
            "unit_id": unit,
            "arm": labels(T.ARMS, arm),
            "assigned_at": timestamps(assigned),
        }
    )
    return {
        "assignments": assignments,
        "outcomes": outcomes,
        "predictions": _predictions(rng, unit, arm, assigned, q, churned, region, channel),
    }


def _transactions(rng, totals, anchor, low, high):
    """Split each customer's total into 1 + Poisson transactions within [low, high) of anchor."""
    counts = 1 + rng.poisson(TRANSACTIONS_PER_PERIOD, size=len(totals))
    owner, offset = spread(rng, counts, low, high)
    weight = rng.exponential(size=len(owner))
    share = weight / np.bincount(owner, weights=weight)[owner]
    value = np.round(totals[owner] * share, 2)
    return owner, anchor[owner] + np.floor(offset).astype(np.int64), value


def _predictions(rng, unit, arm, assigned, q, churned, region, channel) -> pa.Table:
    n = len(arm)
    version_names = ("v1", "v2")
    version = np.array([version_names.index(T.ARM_VERSION[a]) for a in T.ARMS])[arm]
    noise = np.array([T.CHURN_SCORE_NOISE[v] for v in version_names])[version]
    logit = np.log(q) - np.log1p(-q) + noise * rng.standard_normal(n)
    score = np.round(1 / (1 + np.exp(-logit)), 6)
    treated = arm != T.ARMS.index(T.CONTROL)  # control is scored in shadow, never acted on
    latency = np.round(rng.lognormal(np.log(40.0), 0.35, size=n), 2)
    return pa.table(
        {
            "prediction_id": ids("chu-", np.arange(1, n + 1), id_width(n)),
            "model": constant(T.CHURN_MODEL, n),
            "model_version": labels(version_names, version),
            "unit_id": unit,
            "predicted_at": timestamps(assigned),
            "score": numbers(score),
            "prediction": numbers(((score >= T.CHURN_THRESHOLD) & treated).astype(float)),
            "actual": numbers(churned.astype(float)),
            "labeled_at": timestamps(assigned + T.WINDOW_DAYS * DAY_US),
            "latency_ms": numbers(latency),
            "served": booleans(treated),
            "region": labels(T.REGIONS, region),
            "channel": labels(CHANNELS, channel),
        }
    )
