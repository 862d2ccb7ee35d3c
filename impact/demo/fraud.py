"""Fraud model scoring transactions: late labels, a version switch, injected score drift."""

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
    timestamps,
)

VERSIONS = ("v3", "v4")


def build(rng: np.random.Generator, transactions: int) -> dict[str, pa.Table]:
    n = transactions
    start, end = micros(T.FRAUD_START), micros(T.DEMO_END)
    at = np.sort(rng.integers(start, end, size=n))  # ids then follow time
    version = (at >= micros(T.V4_FROM)).astype(np.int64)
    fraud = rng.random(n) < T.FRAUD_RATE
    after_drift = at >= micros(T.DRIFT_DATE)

    score = np.empty(n)
    for i, name in enumerate(VERSIONS):
        rows = fraud & (version == i)
        score[rows] = rng.beta(*T.FRAUD_SCORE_BETA[name], size=rows.sum())
    for flag, name in ((False, "before"), (True, "after")):
        rows = ~fraud & (after_drift == flag)
        score[rows] = rng.beta(*T.LEGIT_SCORE_BETA[name], size=rows.sum())
    score = np.round(score, 6)
    decision = score >= T.FRAUD_THRESHOLD

    # A slow model call falls back to approving the transaction (served = false).
    latency = np.round(rng.lognormal(np.log(30.0), 0.7, size=n), 2)
    served = latency < T.TIMEOUT_MS
    blocked = decision & served

    low, high = T.LABEL_DELAY_DAYS
    labeled_at = at + rng.integers(int(low * DAY_US), int(high * DAY_US), size=n)
    pending = labeled_at >= end  # not yet arrived at the demo's end

    legit_amount = rng.lognormal(np.log(45.0), 0.9, size=n)
    fraud_amount = rng.lognormal(np.log(180.0), 0.8, size=n)
    amount = np.round(np.where(fraud, fraud_amount, legit_amount), 2)
    merchant = np.where(
        fraud,
        rng.choice(len(T.MERCHANTS), size=n, p=T.FRAUD_MERCHANT_P),
        rng.choice(len(T.MERCHANTS), size=n, p=T.LEGIT_MERCHANT_P),
    )
    transaction = ids("txn-", np.arange(1, n + 1), id_width(n, 7))

    predictions = pa.table(
        {
            "prediction_id": ids("frd-", np.arange(1, n + 1), id_width(n, 7)),
            "model": constant(T.FRAUD_MODEL, n),
            "model_version": labels(VERSIONS, version),
            "unit_id": transaction,
            "predicted_at": timestamps(at),
            "score": numbers(score),
            "prediction": numbers(decision.astype(float)),
            "actual": numbers(fraud.astype(float), mask=pending),
            "labeled_at": timestamps(labeled_at, mask=pending),
            "latency_ms": numbers(latency),
            "served": booleans(served),
            "amount": numbers(amount),
            "merchant_category": labels(T.MERCHANTS, merchant),
        }
    )
    # A missed fraud comes back as a chargeback when its label arrives.
    charged = fraud & ~blocked & ~pending
    chargebacks = pa.table(
        {
            "unit_id": transaction.filter(pa.array(charged)),
            "observed_at": timestamps(labeled_at[charged]),
            "chargeback_cost": numbers(amount[charged] + T.CHARGEBACK_FEE),
            "merchant_category": labels(T.MERCHANTS, merchant[charged]),
        }
    )
    return {"predictions": predictions, "outcomes": chargebacks}
