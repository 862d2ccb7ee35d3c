"""Data readiness: is each stored dataset fit to carry an executive number?

One `DatasetReadiness` per dataset (uploads of one name and kind): freshness against its
cadence, rows per period, empty cells per column over time, new and vanished segment
values, label coverage and delay (predictions), units no study knows (outcomes), and the
findings of the rules in `impact.monitor.readiness`. A study's readouts carry a
"readiness" caveat for each finding of the datasets they use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd

from impact.analysis.readiness_outcomes import OutcomeScan
from impact.analysis.spark import on_spark, source_table
from impact.catalog import Study
from impact.monitor import readiness as rules
from impact.queries import readiness as q
from impact.queries.readiness_outcomes import outcome_scan
from impact.stats.estimate import Caveat
from impact.store import Store
from impact.warehouse import Warehouse


@dataclass(frozen=True)
class DatasetReadiness:
    name: str
    kind: str
    latest: datetime | None
    age_days: float | None
    cadence: rules.Cadence
    period: str  # "day" or "week": the unit of `volume` and `columns`
    volume: pd.DataFrame  # period, rows (every period from the first to the last)
    columns: pd.DataFrame  # period, column, rows, filled, null_share
    labels: dict = field(default_factory=dict)  # predictions only
    unknown_units: int | None = None  # outcomes only
    findings: list[rules.Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def summary(self) -> dict:
        """One JSON-ready row: the figures and the findings."""
        return {
            "dataset": self.name,
            "kind": self.kind,
            "passed": self.passed,
            "latest_event": self.latest.isoformat() if self.latest else None,
            "age_days": self.age_days,
            "cadence_days": self.cadence.days,
            "cadence_source": self.cadence.source,
            "period": self.period,
            "last_period_rows": int(self.volume["rows"].iloc[-1]) if len(self.volume) else 0,
            "label_coverage": (
                self.labels["labeled"] / self.labels["predictions"]
                if self.labels.get("predictions")
                else None
            ),
            "label_delay_p50_hours": self.labels.get("delay_p50_hours"),
            "label_delay_p90_hours": self.labels.get("delay_p90_hours"),
            "unknown_units": self.unknown_units,
            "findings": [
                {"kind": f.kind, "message": f.message, "figure": f.figure} for f in self.findings
            ],
        }


def readiness(store: Store, now: datetime | None = None) -> list[DatasetReadiness]:
    """Every stored dataset's readiness, by name."""
    if on_spark(store):  # nothing is uploaded there: the datasets are the sources' own
        found = source_table(store)
        names = sorted(set(zip(found["dataset"], found["kind"], strict=True)))
    else:
        names = sorted({(d.name, d.kind) for d in store.catalog.datasets()})
    return [dataset_readiness(store, name, kind, now) for name, kind in names]


def dataset_readiness(
    store: Store, name: str, kind: str, now: datetime | None = None
) -> DatasetReadiness:
    now = now or datetime.now(UTC)
    figures = _figures(store, name, kind)
    days = figures.event_days()
    latest = _utc(days["latest"].max()) if len(days) else None
    rhythm = rules.cadence([pd.Timestamp(d).date() for d in days["day"]])
    period = rules.period_for(rhythm)
    volume = _every_period(figures.rows_per_period(period), period)
    columns = figures.column_profile(period)
    columns["null_share"] = 1 - columns["filled"] / columns["rows"].where(columns["rows"] > 0)
    findings = [f for f in [rules.staleness(latest, now, rhythm)] if f and kind in rules.STREAMS]
    findings += rules.volume_drops(
        [(pd.Timestamp(p).date(), int(n)) for p, n in volume.itertuples(index=False)], period
    )
    for column, per in columns.groupby("column", sort=True):
        shares = [
            (pd.Timestamp(p).date(), float(s))
            for p, s in zip(per["period"], per["null_share"], strict=True)
        ]
        findings += rules.null_spikes(str(column), shares, period)
    if len(volume):
        first, last = (pd.Timestamp(volume["period"].iloc[i]).date() for i in (0, -1))
        seen = figures.segment_seen(period)
        for column, per in seen.groupby("column", sort=True):
            values = {
                str(v): (pd.Timestamp(a).date(), pd.Timestamp(b).date())
                for v, a, b in zip(per["value"], per["first"], per["last"], strict=True)
            }
            last_rows = int(volume["rows"].iloc[-1])
            findings += rules.segment_changes(str(column), values, last, first, last_rows)
    labels, unknown = {}, None
    if kind == "predictions":
        labels = q.labels(store.warehouse, name)
        findings += [
            f for f in [rules.label_coverage(labels["predictions"], labels["labeled"])] if f
        ]
    if kind == "outcomes":
        units, unknown = figures.unknown_units()
        findings += [f for f in [rules.unknown_units(unknown, units)] if f]
    age = round((now - latest).total_seconds() / 86_400, 2) if latest else None
    return DatasetReadiness(
        name, kind, latest, age, rhythm, period, volume, columns, labels, unknown, findings
    )


def _figures(store: Store, name: str, kind: str):
    """Where the figures come from: an outcome dataset's one scan, else a query each."""
    if kind == "outcomes":
        scan = OutcomeScan.of(outcome_scan(store.warehouse, name))
        if scan is not None:
            return scan
    return _Queries(store.warehouse, name, kind)


@dataclass(frozen=True)
class _Queries:
    """The figures of any dataset, one query each (as OutcomeScan's methods)."""

    warehouse: Warehouse
    name: str
    kind: str

    def event_days(self) -> pd.DataFrame:
        return q.event_days(self.warehouse, self.name, self.kind)

    def rows_per_period(self, period: str) -> pd.DataFrame:
        return q.rows_per_period(self.warehouse, self.name, self.kind, period)

    def column_profile(self, period: str) -> pd.DataFrame:
        return q.column_profile(self.warehouse, self.name, self.kind, period)

    def segment_seen(self, period: str) -> pd.DataFrame:
        return q.segment_seen(self.warehouse, self.name, self.kind, period)

    def unknown_units(self) -> tuple[int, int]:
        return q.unknown_units(self.warehouse, self.name)


def readiness_table(results: list[DatasetReadiness]) -> pd.DataFrame:
    """One row per dataset for the Data page and `impact datasets`."""
    rows = []
    for r in results:
        s = r.summary()
        rows.append(
            {
                "dataset": r.name,
                "kind": r.kind,
                "ready": "passed" if r.passed else "failed",
                "latest event": r.latest,
                "age (days)": r.age_days,
                "cadence": f"{r.cadence.days:g} day(s), {r.cadence.source}",
                f"rows last {r.period}": s["last_period_rows"],
                "label coverage": s["label_coverage"],
                "label delay p50 (h)": s["label_delay_p50_hours"],
                "label delay p90 (h)": s["label_delay_p90_hours"],
                "findings": " ".join(f.message for f in r.findings),
            }
        )
    return pd.DataFrame(rows)


def study_datasets(store: Store, study: Study) -> list[tuple[str, str]]:
    """(name, kind) of every dataset a study's numbers come from: its metrics' outcome
    datasets and the uploads holding its assignments or rollouts."""
    names = [study.primary_metric, *study.secondary_metrics, *study.guardrail_metrics]
    defined = {m.name: m for m in store.catalog.metrics()}
    used = {(defined[n].dataset, "outcomes") for n in names if n in defined}
    used |= set(q.datasets_of_study(store.warehouse, study.name, study.kind))
    return sorted(used)


def readiness_caveats(
    store: Store, study: Study | str, now: datetime | None = None
) -> list[Caveat]:
    """A "readiness" caveat for each finding of a dataset the study's numbers use."""
    record = study if isinstance(study, Study) else store.catalog.study(study)
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    last_assigned = needed_end = _utc(q.study_end(store.warehouse, record.name, record.kind))
    if needed_end is not None and record.kind == "ab":
        needed_end = needed_end + timedelta(days=record.analysis_window_days)
    elif record.kind == "did":
        needed_end = _utc(record.end)  # a rollout needs data up to its declared end, if any
    version = q.data_version(store.warehouse)
    caveats = []
    for name, kind in study_datasets(store, record):
        key = (str(store.warehouse.path), version, name, kind, now)
        if key not in _MEMO:
            _MEMO.clear() if len(_MEMO) > 256 else None
            _MEMO[key] = dataset_readiness(store, name, kind, now)
        result = _MEMO[key]
        for finding in result.findings:
            if finding.kind == "stale" and _covers(result, needed_end):
                continue  # a finished study needs no data after its window or its end
            if _closing_window(finding, last_assigned, record.kind):
                continue  # after the last assignment, windows close one by one
            caveats.append(
                Caveat(
                    "readiness",
                    f"Data readiness of {kind} dataset {name!r} failed: {finding.message}",
                )
            )
    return caveats


_MEMO: dict[tuple, DatasetReadiness] = {}  # per warehouse version: readouts ask often


def _covers(result: DatasetReadiness, needed_end: datetime | None) -> bool:
    """The data reaches as far as the study needs: an A/B study's last analysis window, a
    rollout study's declared end (a rollout without one is still running)."""
    if needed_end is None or result.latest is None:
        return False
    return result.latest >= needed_end - timedelta(days=result.cadence.days + 1)


def _closing_window(finding: rules.Finding, last_assigned, kind: str) -> bool:
    """An experiment's outcome rows thin out after its last assignment as each unit's
    analysis window ends: a volume drop there is the design, not missing data."""
    return (
        kind == "ab"
        and finding.kind == "volume_drop"
        and last_assigned is not None
        and finding.at is not None
        and finding.at > last_assigned.date()
    )


def _every_period(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Rows per period with the periods that have none filled in as zero."""
    if frame.empty:
        return pd.DataFrame({"period": pd.Series(dtype=object), "rows": pd.Series(dtype=int)})
    step = timedelta(days=1 if period == "day" else 7)
    first, last = (pd.Timestamp(frame["period"].iloc[i]).date() for i in (0, -1))
    span = [first + step * i for i in range((last - first) // step + 1)]
    counts = {
        pd.Timestamp(p).date(): int(n) for p, n in zip(frame["period"], frame["rows"], strict=True)
    }
    return pd.DataFrame({"period": span, "rows": [counts.get(d, 0) for d in span]})


def _utc(value) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


__all__ = [
    "DatasetReadiness",
    "dataset_readiness",
    "readiness",
    "readiness_caveats",
    "readiness_table",
    "study_datasets",
]
