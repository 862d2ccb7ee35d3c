"""Support-ticket triage switched on site by site, in waves of whole regions: rollouts,
tickets, triage scores."""

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
    """`scored_tickets` tickets fall in treated site-weeks (each gets one prediction);
    untreated site-weeks get tickets at the same volume per site. Every site-week gets at
    least one ticket when there are enough, so the panel is balanced."""
    sites, weeks, regions = len(T.SITES), T.WEEKS, len(T.TRIAGE_REGIONS)
    region_of = np.array([T.TRIAGE_REGIONS.index(T.SITE_REGION[s]) for s in T.SITES])
    site = np.repeat(np.arange(sites), weeks)
    week = np.tile(np.arange(weeks), sites)
    region = region_of[site]
    adoption = np.array([_week_or_never(T.ADOPTION_WEEK[s]) for s in T.SITES])[site]
    treated = week >= adoption
    volume = rng.uniform(*T.SITE_VOLUME, size=sites)[site]

    counts = np.zeros(len(site), dtype=np.int64)
    counts[treated] = _counts(rng, scored_tickets, volume[treated])
    untreated_total = round(scored_tickets * volume[~treated].sum() / volume[treated].sum())
    counts[~treated] = _counts(rng, untreated_total, volume[~treated])

    # Site and region levels are fixed (the unit effects absorb them); the region-week
    # shock is what makes a region's sites move together, hence clustering by region.
    region_level = rng.uniform(-T.REGION_EFFECT_RANGE, T.REGION_EFFECT_RANGE, size=regions)
    site_level = rng.uniform(-T.SITE_EFFECT_RANGE, T.SITE_EFFECT_RANGE, size=sites)
    shock = rng.normal(0.0, T.REGION_WEEK_SD, size=(regions, weeks))
    effect = np.array(
        [
            T.triage_effect(w - a) if t else 0.0
            for w, a, t in zip(week, adoption, treated, strict=True)
        ]
    )
    mean = (
        T.BASE_MINUTES
        + region_level[region]
        + site_level[site]
        + np.array([T.week_effect(w) for w in range(weeks)])[week]
        + shock[region, week]
        + effect
    )

    cell = np.repeat(np.arange(len(site)), counts)
    n = len(cell)
    opened = micros(T.WEEK0) + week[cell] * WEEK_US + rng.integers(0, WEEK_US, size=n)
    shape, scale = T.TICKET_NOISE
    minutes = mean[cell] + rng.gamma(shape, scale, size=n) - shape * scale
    minutes = np.round(minutes, 2)
    ticket = ids("tkt-", np.arange(1, n + 1), id_width(n, 7))

    outcomes = pa.table(
        {
            "unit_id": labels(T.SITES, site[cell]),
            "observed_at": timestamps(opened),
            "handling_minutes": numbers(minutes),
            "region": labels(T.TRIAGE_REGIONS, region[cell]),
        }
    )
    rollouts = pa.table(
        {
            "study": constant(T.ROLLOUT_STUDY, sites),
            "unit_id": pa.array(list(T.SITES), pa.string()),
            "treated_at": pa.array(
                [T.adoption_date(s) for s in T.SITES], pa.timestamp("us", tz="UTC")
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


def _counts(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """`total` tickets over cells in proportion to `weights`, one each first if possible."""
    floor = 1 if total >= len(weights) else 0
    rest = total - floor * len(weights)
    return floor + rng.multinomial(rest, weights / weights.sum())


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
            "region": labels(T.TRIAGE_REGIONS, region),
        }
    )
