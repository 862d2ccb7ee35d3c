"""Row rules on `clean` share one scan of it: each adds a count to one aggregate query,
and only the rules that count failing rows read those rows again for the report.

A rule's count is `count(*) FILTER (WHERE condition)`, the rows its own query selects (a
condition that is NULL selects nothing in both); outside `one_scan` it runs at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from impact.ingest.report import FAILURES_KEPT, RuleResult
from impact.warehouse import Staging

# Counts per aggregate query: one scan for the usual file, a bounded statement for a wide one.
COUNTS_PER_SCAN = 64


@dataclass(frozen=True)
class _Pending:
    result: RuleResult
    count: str  # SQL aggregate over `clean`: the rows the rule's query selects
    sql: str
    params: list


_pending: dict[int, list[_Pending]] = {}  # per staging database inside one_scan


@contextmanager
def one_scan(staging: Staging) -> Iterator[None]:
    """Defer the counts of `collect` to one query over `clean` when the block ends."""
    _pending[id(staging)] = []
    try:
        yield
        rules = _pending[id(staging)]
        for start in range(0, len(rules), COUNTS_PER_SCAN):
            chunk = rules[start : start + COUNTS_PER_SCAN]
            counts = staging.execute(f"SELECT {', '.join(p.count for p in chunk)} FROM clean").rows[
                0
            ]
            for rule, count in zip(chunk, counts, strict=True):
                _failures(staging, rule.result, int(count or 0), rule.sql, rule.params)
    finally:
        _pending.pop(id(staging), None)


def matching(condition: str) -> str:
    return f"count(*) FILTER (WHERE {condition})"


def collect(
    staging: Staging, result: RuleResult, sql: str, params: list, count: str | None = None
) -> None:
    """Count the rows of `sql` into `result` and keep its first ones; `count`, the same
    number as an aggregate over `clean`, lets it wait for one_scan."""
    pending = _pending.get(id(staging))
    if count is not None and pending is not None:
        result.failed_rows = 0  # until the scan
        pending.append(_Pending(result, count, sql, params))
        return
    _failures(staging, result, staging.scalar(f"SELECT count(*) FROM ({sql})", params), sql, params)


def _failures(staging: Staging, result: RuleResult, count: int, sql: str, params: list) -> None:
    result.failed_rows = count
    if count:
        frame = staging.frame(f"{sql} LIMIT {FAILURES_KEPT}", params)
        result.failures = frame[["line", "column", "value", "problem"]]
