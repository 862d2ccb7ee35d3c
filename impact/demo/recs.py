"""Home-page recommendations in a two-arm A/B test: assignments, orders, returns, scores.

Half the shoppers (drawn at random, exactly half) see the model's picks and are scored;
the control half sees the bestsellers list and is never scored, so every logged
prediction was served unless it timed out.
"""

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

ORDERS_PER_PERIOD = 2.0  # Poisson mean, plus one: every shopper orders at least once
HOUR_US = 3_600 * 1_000_000
PURCHASE_BETA = (2.0, 6.0)  # score: the chance the shopper buys one of the picks


def build(rng: np.random.Generator, scored: int) -> dict[str, pa.Table]:
    """`scored` shoppers in the recs arm (one prediction each), as many in control."""
    n = 2 * scored
    unit = ids("shop-", np.arange(1, n + 1), id_width(n))
    arm = rng.permutation(np.arange(n) % len(T.RECS_ARMS))
    assigned = micros(T.RECS_START) + rng.integers(0, T.RECS_ASSIGN_DAYS * DAY_US, size=n)

    # Pre and post order value share one latent spend per shopper (CUPED's covariate).
    s, p = T.ORDER_SPEND_SIGMA, T.ORDER_PERIOD_SIGMA
    spend = T.ORDER_CONTROL_MEAN * np.exp(s * rng.standard_normal(n) - s * s / 2)
    pre_total = spend * np.exp(p * rng.standard_normal(n) - p * p / 2)
    lift = np.array([T.ORDER_EFFECT[a] for a in T.RECS_ARMS])[arm]
    post_total = spend * np.exp(p * rng.standard_normal(n) - p * p / 2) + lift
    chance = np.array([T.RETURN_CONTROL + T.RETURN_EFFECT[a] for a in T.RECS_ARMS])[arm]
    returned = rng.random(n) < chance

    window = T.RECS_WINDOW_DAYS * DAY_US
    pre_owner, pre_at, pre_value = _orders(rng, pre_total, assigned, -window, 0)
    post_owner, post_at, post_value = _orders(rng, post_total, assigned, 0, window - HOUR_US)
    # A return is sent back inside the window, after the shopper's first post order.
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, post_owner, post_at)
    back = np.flatnonzero(returned)
    end = assigned[back] + window - HOUR_US
    return_at = first[back] + (rng.random(len(back)) * (end - first[back])).astype(np.int64)
    owner = np.concatenate([pre_owner, post_owner, back])
    k = len(pre_owner) + len(post_owner)
    is_order = np.arange(len(owner)) < k
    outcomes = pa.table(
        {
            "unit_id": unit.take(pa.array(owner)),
            "observed_at": timestamps(np.concatenate([pre_at, post_at, return_at])),
            "order_value": numbers(
                np.concatenate([pre_value, post_value, np.zeros(len(back))]), mask=~is_order
            ),
            "returned": numbers(np.ones(len(owner)), mask=is_order),
        }
    )
    assignments = pa.table(
        {
            "experiment": constant(T.RECS_EXPERIMENT, n),
            "unit_id": unit,
            "arm": labels(T.RECS_ARMS, arm),
            "assigned_at": timestamps(assigned),
        }
    )
    shown = np.flatnonzero(arm == T.RECS_ARMS.index("recs-v1"))
    return {
        "assignments": assignments,
        "outcomes": outcomes,
        "predictions": _predictions(rng, unit.take(pa.array(shown)), assigned[shown]),
    }


def _orders(rng, totals, anchor, low, high):
    """Split each shopper's total into 1 + Poisson orders within [low, high) of anchor."""
    counts = 1 + rng.poisson(ORDERS_PER_PERIOD, size=len(totals))
    owner, offset = spread(rng, counts, low, high)
    weight = rng.exponential(size=len(owner))
    share = weight / np.bincount(owner, weights=weight)[owner]
    value = np.round(totals[owner] * share, 2)
    return owner, anchor[owner] + np.floor(offset).astype(np.int64), value


def _predictions(rng, unit: pa.Array, assigned: np.ndarray) -> pa.Table:
    n = len(assigned)
    score = np.round(rng.beta(*PURCHASE_BETA, size=n), 6)
    bought = rng.random(n) < score  # calibrated: the score is the chance
    latency = np.round(rng.lognormal(np.log(35.0), 0.4, size=n), 2)
    return pa.table(
        {
            "prediction_id": ids("rec-", np.arange(1, n + 1), id_width(n)),
            "model": constant(T.RECS_MODEL, n),
            "model_version": constant("v1", n),
            "unit_id": unit,
            "predicted_at": timestamps(assigned),
            "score": numbers(score),
            "prediction": numbers((score >= T.RECS_THRESHOLD).astype(float)),
            "actual": numbers(bought.astype(float)),
            "labeled_at": timestamps(assigned + T.RECS_WINDOW_DAYS * DAY_US),
            "latency_ms": numbers(latency),
            "served": booleans(latency < T.TIMEOUT_MS),
        }
    )
