"""An outcome dataset's readiness figures from its one scan (impact.queries.readiness_outcomes).

The scan returns unit-time rows counted per UTC day and metric combination (a bitmask),
so rows per period, empty cells per metric and the rest are sums over a small table here;
`OutcomeScan.of` returns None when a dataset has more metrics than the bits hold, and the
readiness falls back to one query per figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from impact.contract import EARLIEST_TIME

ORIGIN = EARLIEST_TIME.date()  # day 0 of the scan's day numbers


def together(shared: int, rows: int, other_rows: int) -> bool:
    """Two metrics are recorded together (one file's columns) when at least half the rows
    of the rarer one hold both. A metric kept on rows of its own shares a few by chance
    when two events fall on one unit and instant; those make no empty cells."""
    return shared > 0 and 2 * shared >= min(rows, other_rows)


def period_of(day: date, period: str) -> date:
    """The day itself, or the Monday of its week (DuckDB's date_trunc('week'))."""
    return day if period == "day" else day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class OutcomeScan:
    metrics: dict[str, int]  # metric → its bit
    days: pd.DataFrame  # day (date), combo, n, latest
    segments: pd.DataFrame  # column, value, first, last (dates)
    units: int
    unknown: int

    @classmethod
    def of(cls, frame: pd.DataFrame) -> OutcomeScan | None:
        parts = {p: f for p, f in frame.groupby("part", sort=False)}
        metric = parts.get("metric", frame.iloc[:0])
        if metric["combo"].isna().any():
            return None  # more metrics than bits
        days = parts.get("day", frame.iloc[:0])
        segments = parts.get("segment", frame.iloc[:0])
        units = parts["units"].iloc[0]
        return cls(
            metrics={str(m): int(b) for m, b in zip(metric["name"], metric["combo"], strict=True)},
            days=pd.DataFrame(
                {
                    "day": [_day(d) for d in days["day"]],
                    "combo": [int(c) for c in days["combo"]],
                    "n": [int(n) for n in days["n"]],
                    "latest": list(days["latest"]),
                }
            ),
            segments=pd.DataFrame(
                {
                    "column": list(segments["name"]),
                    "value": list(segments["value"]),
                    "first": [_day(d) for d in segments["day"]],
                    "last": [_day(d) for d in segments["until"]],
                }
            ),
            units=int(units["n"]),
            unknown=int(units["combo"]),
        )

    def event_days(self) -> pd.DataFrame:
        """day, latest: as impact.queries.readiness.event_days."""
        per = self.days.groupby("day", sort=True)["latest"].max()
        return pd.DataFrame({"day": list(per.index), "latest": list(per)})

    def rows_per_period(self, period: str) -> pd.DataFrame:
        """period, rows: unit-time rows, however many metrics each holds."""
        per = self._periods(period).groupby("period", sort=True)["n"].sum()
        return pd.DataFrame({"period": list(per.index), "rows": [int(n) for n in per]})

    def column_profile(self, period: str) -> pd.DataFrame:
        """period, column, rows, filled per metric. A metric's rows are the unit-time rows
        holding it or a metric it is recorded with (`together`), so a file that records
        two metrics on rows of their own has no empty cells."""
        days = self._periods(period)
        held = {m: 0 for m in self.metrics}  # unit-time rows holding each metric
        shared: dict[tuple[str, str], int] = {}  # … and each pair of metrics
        for combo, n in days.groupby("combo")["n"].sum().items():
            present = [m for m, bit in self.metrics.items() if combo >> bit & 1]
            for m in present:
                held[m] += n
                for other in present:
                    shared[m, other] = shared.get((m, other), 0) + n
        rows = []
        for m in sorted(self.metrics):
            mask = sum(
                1 << self.metrics[o]
                for o in self.metrics
                if together(shared.get((m, o), 0), held[m], held[o])
            )
            bit = self.metrics[m]
            kept = days[[c & mask != 0 for c in days["combo"]]]
            filled = [c >> bit & 1 == 1 for c in kept["combo"]]
            per = pd.DataFrame({"period": kept["period"], "rows": kept["n"]})
            per["filled"] = kept["n"].where(filled, 0)
            for p, sums in per.groupby("period", sort=True).sum().iterrows():
                rows.append((p, m, int(sums["rows"]), int(sums["filled"])))
        return pd.DataFrame(rows, columns=["period", "column", "rows", "filled"])

    def segment_seen(self, period: str) -> pd.DataFrame:
        """column, value, first, last: the periods of the first and last row of its units."""
        seen = self.segments.sort_values(["column", "value"], kind="stable")
        return pd.DataFrame(
            {
                "column": list(seen["column"]),
                "value": list(seen["value"]),
                "first": [period_of(d, period) for d in seen["first"]],
                "last": [period_of(d, period) for d in seen["last"]],
            }
        )

    def unknown_units(self) -> tuple[int, int]:
        return self.units, self.unknown

    def _periods(self, period: str) -> pd.DataFrame:
        days = self.days.copy()
        days["period"] = [period_of(d, period) for d in days["day"]]
        return days


def _day(number) -> date:
    return ORIGIN + timedelta(days=int(number))
