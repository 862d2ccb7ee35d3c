"""Support-ticket triage rolled out region by region: rollouts, tickets, triage scores."""

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

WEEK_US = 7 * DAY_US
MINUTE_US = 60 * 1_000_000
URGENT_BETA = (2.0, 3.0)  # triage scores; a ticket is urgent with probability = its score


def build(rng: np.random.Generator, scored_tickets: int) -> dict[str, pa.Table]:
    """`scored_tickets` tickets fall in treated region-weeks (each gets one prediction);
    untreated region-weeks get tickets at the same volume per region."""
    regions, weeks = len(T.REGIONS), T.WEEKS
    region = np.repeat(np.arange(regions), weeks)
    week = np.tile(np.arange(weeks), regions)
    adoption = np.array([_week_or_never(T.ADOPTION_WEEK[r]) for r in T.REGIONS])[region]
    treated = week >= adoption
    volume = np.array([T.REGION_VOLUME[r] for r in T.REGIONS])[region]

    counts = np.zeros(len(region), dtype=np.int64)
    counts[treated] = rng.multinomial(scored_tickets, volume[treated] / volume[treated].sum())
    untreated_total = round(scored_tickets * volume[~treated].sum() / volume[treated].sum())
    counts[~treated] = rng.multinomial(untreated_total, volume[~treated] / volume[~treated].sum())

    cell = np.repeat(np.arange(len(region)), counts)
    n = len(cell)
    opened = micros(T.WEEK0) + week[cell] * WEEK_US + rng.integers(0, WEEK_US, size=n)
    effect = np.array(
        [
            T.triage_effect(w - a) if t else 0.0
            for w, a, t in zip(week, adoption, treated, strict=True)
        ]
    )
    mean = (
        T.BASE_MINUTES
        + np.array([T.REGION_EFFECT[r] for r in T.REGIONS])[region]
        + np.array([T.week_effect(w) for w in range(weeks)])[week]
        + effect
    )
    shape, scale = T.TICKET_NOISE
    minutes = mean[cell] + rng.gamma(shape, scale, size=n) - shape * scale
    minutes = np.round(minutes, 2)
    ticket = ids("tkt-", np.arange(1, n + 1), id_width(n, 7))

    outcomes = pa.table(
        {
            "unit_id": labels(T.REGIONS, region[cell]),
            "observed_at": timestamps(opened),
            "handling_minutes": numbers(minutes),
        }
    )
    rollouts = pa.table(
        {
            "study": constant(T.ROLLOUT_STUDY, regions),
            "unit_id": pa.array(list(T.REGIONS), pa.string()),
            "treated_at": pa.array(
                [T.adoption_date(r) for r in T.REGIONS], pa.timestamp("us", tz="UTC")
            ),
        }
    )
    scored = treated[cell]
    return {
        "rollouts": rollouts,
        "outcomes": outcomes,
        "predictions": _predictions(
            rng,
            ticket.filter(pa.array(scored)),
            opened[scored],
            minutes[scored],
            region[cell][scored],
        ),
    }


def _week_or_never(week: int | None) -> int:
    return np.iinfo(np.int64).max if week is None else week


def _predictions(rng, ticket, opened, minutes, region) -> pa.Table:
    n = len(opened)
    score = np.round(rng.beta(*URGENT_BETA, size=n), 6)
    urgent = rng.random(n) < score
    latency = np.round(rng.lognormal(np.log(25.0), 0.5, size=n), 2)
    # The urgency label is known once the ticket is handled.
    resolved = opened + np.ceil(minutes * MINUTE_US).astype(np.int64)
    return pa.table(
        {
            "prediction_id": ids("tri-", np.arange(1, n + 1), id_width(n)),
            "model": constant(T.TRIAGE_MODEL, n),
            "model_version": constant("v1", n),
            "unit_id": ticket,
            "predicted_at": timestamps(opened),
            "score": numbers(score),
            "prediction": numbers((score >= 0.5).astype(float)),
            "actual": numbers(urgent.astype(float)),
            "labeled_at": timestamps(resolved),
            "latency_ms": numbers(latency),
            "served": booleans(latency < T.TIMEOUT_MS),
            "region": labels(T.REGIONS, region),
        }
    )
