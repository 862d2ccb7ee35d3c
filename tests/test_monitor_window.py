"""The drift reference window and where monitoring starts, on dates alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from impact.errors import InvalidInput
from impact.monitor.window import (
    BadReference,
    ReferenceOverlap,
    default_reference,
    monitored_from,
    next_boundary,
    period_start,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_period_starts_and_boundaries_follow_sql_date_trunc():
    wednesday = at("2026-09-16T13:30")
    assert period_start(wednesday, "week") == at("2026-09-14")  # Monday
    assert period_start(wednesday, "day") == at("2026-09-16")
    assert next_boundary(wednesday, "week") == at("2026-09-21")
    assert next_boundary(at("2026-09-14"), "week") == at("2026-09-14")  # already one


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # 28 days would end on a Friday: the reference ends on the Monday before.
        ("2026-05-01T00:29", "2026-10-30T23:00", ("2026-05-01", "2026-05-25")),
        # Starts on a Monday: exactly 28 days.
        ("2026-06-22T00:39", "2026-10-25T20:00", ("2026-06-22", "2026-07-20")),
        # 14 days of data: at most the first half, to the Monday before the midpoint.
        ("2026-09-01T00:05", "2026-09-14T22:00", ("2026-09-01", "2026-09-07")),
        # Too short for a boundary before the midpoint: the first boundary after the start.
        ("2026-09-03T08:00", "2026-09-08T08:00", ("2026-09-03", "2026-09-07")),
    ],
)
def test_default_reference(first, last, expected):
    reference = default_reference(at(first), at(last), "week")
    assert reference == tuple(at(t) for t in expected)
    assert period_start(reference[1], "week") == reference[1]


def test_monitoring_starts_at_the_first_boundary_after_the_reference():
    first, last = at("2026-05-01"), at("2026-10-30")
    saturday = (at("2026-06-01"), at("2026-08-01"))
    assert monitored_from(saturday, first, last, "week") == at("2026-08-03")
    assert monitored_from(saturday, first, last, "day") == at("2026-08-01")


def test_unusable_references_are_refused_with_the_fix():
    first, last = at("2026-09-01T00:05"), at("2026-09-14T22:00")
    with pytest.raises(ReferenceOverlap, match="on or before 2026-09-14"):
        monitored_from((at("2026-09-01"), at("2026-10-31")), first, last, "week")
    with pytest.raises(BadReference, match="must end after it starts"):
        monitored_from((at("2026-09-10"), at("2026-09-01")), first, last, "week")
    with pytest.raises(BadReference, match="holds no rows"):
        monitored_from((at("2026-08-01"), at("2026-08-31")), first, last, "week")
    assert issubclass(BadReference, InvalidInput)  # the CLI's one handler prints it
