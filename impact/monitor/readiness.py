"""Data readiness rules: numbers about a dataset in, findings out (pure, no I/O).

Every rule states itself in its message, so a reader can check the flag by hand:
- freshness: stale when the latest event is older than STALE_CADENCES expected gaps;
  the cadence is the median gap between distinct event days, or one day when fewer than
  three event days exist (said which);
  (assignments and rollouts are not streams: an experiment's enrolment ends by design);
- volume: a period with fewer than DROP_SHARE of the median rows of the DROP_LOOKBACK
  periods before it (periods without rows count as zero), once that median is at least
  MIN_ROWS (a few rows a week go to zero by chance);
- nulls: a period whose share of empty cells in a column is at least NULL_SPIKE_POINTS
  above the column's median share over all periods, and at least twice it (an outcome
  metric counts as empty on the rows of the metrics it shares rows with, not on rows of
  metrics the file records on rows of their own);
- segment values: a value seen in the last period and in no earlier one (new), or seen
  before and not in the last period (vanished; judged only when the last period has at
  least MIN_ROWS rows);
- labels: fewer than LABEL_COVERAGE_MIN of the predictions have a label;
- units: outcome units that no assignment, rollout or prediction knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from impact.vocabulary import ReadinessKind

STALE_CADENCES = 3.0
DEFAULT_CADENCE_DAYS = 1.0
MIN_DAYS_FOR_CADENCE = 3
DROP_SHARE = 0.5
DROP_LOOKBACK = 4
NULL_SPIKE_POINTS = 0.2
LABEL_COVERAGE_MIN = 0.5
MIN_ROWS = 20
STREAMS = ("predictions", "outcomes")  # facts expected to keep arriving
VALUES_NAMED = 5


@dataclass(frozen=True)
class Finding:
    kind: ReadinessKind
    message: str
    figure: float | str | None = None  # the number (or value) the rule judged
    at: date | None = None  # the period it is about, where it is about one


@dataclass(frozen=True)
class Cadence:
    days: float
    source: str  # how it was chosen, in words


def cadence(event_days: list[date]) -> Cadence:
    """The expected gap between events: the median gap between distinct event days."""
    days = sorted(set(event_days))
    if len(days) < MIN_DAYS_FOR_CADENCE:
        return Cadence(
            DEFAULT_CADENCE_DAYS,
            f"default of {DEFAULT_CADENCE_DAYS:g} day (fewer than {MIN_DAYS_FOR_CADENCE} "
            "distinct event days to infer it from)",
        )
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    return Cadence(float(median(gaps)), "inferred: the median gap between distinct event days")


def period_for(rhythm: Cadence) -> str:
    """Volume and nulls are counted per day for daily data, else per week."""
    return "day" if rhythm.days <= 1.5 else "week"


def staleness(latest: datetime | None, now: datetime, rhythm: Cadence) -> Finding | None:
    if latest is None:
        return Finding("stale", "The dataset holds no event times.", None)
    age = (now - latest).total_seconds() / 86_400
    allowed = STALE_CADENCES * rhythm.days
    if age <= allowed:
        return None
    return Finding(
        "stale",
        f"The latest event is {age:,.1f} days old ({latest:%Y-%m-%d %H:%M} UTC); events "
        f"come every {rhythm.days:g} day(s) ({rhythm.source}), so more than "
        f"{allowed:g} days without one means the data has stopped arriving.",
        round(age, 1),
    )


def volume_drops(counts: list[tuple[date, int]], period: str) -> list[Finding]:
    """`counts`: rows per period, every period from the first to the last (zeros too)."""
    found = []
    for i in range(DROP_LOOKBACK, len(counts)):
        usual = median(n for _, n in counts[i - DROP_LOOKBACK : i])
        start, rows = counts[i]
        if usual >= MIN_ROWS and rows < DROP_SHARE * usual:
            found.append(
                Finding(
                    "volume_drop",
                    f"The {period} of {start:%Y-%m-%d} has {rows:,} rows, below "
                    f"{DROP_SHARE:.0%} of the median {usual:,.0f} of the "
                    f"{DROP_LOOKBACK} {period}s before it.",
                    rows,
                    start,
                )
            )
    return found


def null_spikes(column: str, shares: list[tuple[date, float]], period: str) -> list[Finding]:
    """`shares`: the share of empty cells of `column` per period."""
    if len(shares) < 2:
        return []
    usual = median(s for _, s in shares)
    found = []
    for start, share in shares:
        if share >= usual + NULL_SPIKE_POINTS and share >= 2 * usual:
            found.append(
                Finding(
                    "null_spike",
                    f"{column} is empty in {share:.0%} of rows in the {period} of "
                    f"{start:%Y-%m-%d}, against a usual {usual:.0%} (the median over "
                    f"{len(shares)} {period}s).",
                    round(share, 4),
                    start,
                )
            )
    return found


def segment_changes(
    column: str,
    seen: dict[str, tuple[date, date]],
    last_period: date,
    first_period: date,
    last_rows: int,
) -> list[Finding]:
    """`seen`: per value, the first and last period with a row holding it; `last_rows`:
    the rows of the last period."""
    if last_period == first_period:
        return []  # one period only: nothing came before to compare with
    new = sorted(v for v, (first, _) in seen.items() if first == last_period)
    gone = sorted(v for v, (_, last) in seen.items() if last < last_period)
    if last_rows < MIN_ROWS:
        gone = []  # too few rows for an absent value to mean anything
    found = []
    if new:
        found.append(
            Finding(
                "new_value",
                f"{column} has {len(new)} value(s) in the last period ({last_period:%Y-%m-%d}) "
                f"never seen before: {_listed(new)}.",
                len(new),
            )
        )
    if gone:
        found.append(
            Finding(
                "vanished_value",
                f"{column} has {len(gone)} value(s) seen before but absent from the last "
                f"period ({last_period:%Y-%m-%d}): {_listed(gone)}.",
                len(gone),
            )
        )
    return found


def label_coverage(predictions: int, labeled: int) -> Finding | None:
    if predictions == 0:
        return None
    share = labeled / predictions
    if share >= LABEL_COVERAGE_MIN:
        return None
    return Finding(
        "label_coverage",
        f"Only {share:.0%} of {predictions:,} predictions have a label (at least "
        f"{LABEL_COVERAGE_MIN:.0%} expected); technical metrics rest on the labelled few.",
        round(share, 4),
    )


def unknown_units(unknown: int, units: int) -> Finding | None:
    if unknown == 0:
        return None
    return Finding(
        "unknown_units",
        f"{unknown:,} of {units:,} outcome units are in no study: no assignment, rollout "
        "or prediction names them, so no readout uses their rows.",
        unknown,
    )


def _listed(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:VALUES_NAMED])
    return shown + (f" and {len(values) - VALUES_NAMED} more" if len(values) > VALUES_NAMED else "")
