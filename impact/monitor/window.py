"""The drift reference window and the monitored periods after it: pure date arithmetic.

Drift compares each monitored period with a reference window, so the two must not share a
row: a period compared with a window that contains it is partly compared with itself (the
demo's churn-model, whose 28-day default reference held all 14 of its days, showed exactly
that). The rule here is that monitoring starts where the reference ends, at a boundary of
the alert cadence, so no monitored day or week overlaps the reference.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from impact.errors import InvalidInput

REFERENCE_DAYS = 28  # the default reference: at most the model's first four weeks
STEP = {"day": timedelta(days=1), "week": timedelta(days=7)}


class BadReference(InvalidInput):
    """A drift reference window that cannot be used. Callers add how to change it in their
    own words (the CLI's flags, the page's widget)."""


class ReferenceOverlap(BadReference):
    """The reference window would leave no period after it, so drift would compare the
    data with itself."""


def period_start(when: datetime, cadence: str) -> datetime:
    """Start of the day or week (Monday 00:00 UTC, as SQL date_trunc('week')) holding `when`."""
    day = pd.Timestamp(when).tz_convert("UTC").floor("D")
    if cadence == "week":
        day -= pd.Timedelta(days=day.weekday())
    return day.to_pydatetime()


def next_boundary(when: datetime, cadence: str) -> datetime:
    """The first period boundary at or after `when`."""
    start = period_start(when, cadence)
    return start if start == pd.Timestamp(when) else start + STEP[cadence]


def default_reference(first: datetime, last: datetime, cadence: str) -> tuple[datetime, datetime]:
    """The model's first REFERENCE_DAYS days, but at most the first half of its data, ending
    on the last cadence boundary in that span.

    Why: a reference early in a model's life is the state the later periods should still
    resemble, and ending it on a boundary makes it end exactly where monitoring starts. The
    half-span cap keeps a short-lived model (churn-model's 14 days) with periods to monitor;
    a model too short for a whole period after a boundary gets the first boundary after its
    first day, and nothing is monitored yet."""
    start = period_start(first, "day")
    latest = min(start + timedelta(days=REFERENCE_DAYS), start + (last - start) / 2)
    end = period_start(latest, cadence)
    if end <= start:
        end = next_boundary(start + timedelta(microseconds=1), cadence)
    return start, end


def monitored_from(
    reference: tuple[datetime, datetime], first: datetime, last: datetime, cadence: str
) -> datetime:
    """Where monitoring starts for a reference window [start, end): the first cadence
    boundary at or after its end. Refuses a reverse window, one that ends before the
    model's first prediction (no rows) and one that reaches past its last prediction
    (nothing after it to compare with)."""
    start, end = reference
    if start >= end:
        raise BadReference(
            f"The drift reference window must end after it starts; got {start:%Y-%m-%d} to "
            f"{end:%Y-%m-%d}."
        )
    if end <= first:
        raise BadReference(
            f"The drift reference {start:%Y-%m-%d} to {end:%Y-%m-%d} ends before the model's "
            f"first prediction ({first:%Y-%m-%d}), so it holds no rows to compare with."
        )
    begin = next_boundary(end, cadence)
    if begin > last:
        latest = period_start(last, cadence)
        raise ReferenceOverlap(
            f"The drift reference {start:%Y-%m-%d} to {end:%Y-%m-%d} reaches the model's last "
            f"prediction ({last:%Y-%m-%d}): no {cadence} after it is left to monitor, so drift "
            "would compare the data with itself. End the reference on or before "
            f"{latest:%Y-%m-%d} to leave at least one {cadence} to monitor."
        )
    return begin
