"""Per-arm statistics from a user's file: unit rows (summed by DuckDB in a private staging
database) or per-arm summaries. Both return the typed statistics the warehouse path returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.errors import InvalidInput
from impact.queries.ab import paired
from impact.sql import quote_identifier
from impact.stats.summary import ArmStats, SampleStats
from impact.warehouse import Staging

# A summary file's columns: the outcome's sums, plus the covariate's (CUPED) or the
# denominator's (ratio metrics) with their cross sum.
SUMMARY = ("arm", "n", "sum", "sum_squares")
PAIRS = {
    "covariate": ("covariate_sum", "covariate_sum_squares", "covariate_cross"),
    "denominator": ("denominator_sum", "denominator_sum_squares", "denominator_cross"),
}


@dataclass(frozen=True)
class RowStats:
    """A file's per-arm statistics over its complete rows, and the rows left out."""

    arms: ArmStats
    blank_arm: int = 0  # rows without an arm
    blank_metric: dict[str, int] = field(default_factory=dict)  # per arm
    blank_second: dict[str, int] = field(default_factory=dict)  # metric present, second blank


def stats_from_rows(path: Path, arm: str, metric: str, *, second: str | None = None) -> RowStats:
    """Per arm of a file of unit-level rows: the metric with `second` (a covariate or a
    ratio's denominator column) when given, else the metric alone. A blank cell is
    missing, never 0: rows with a blank arm, metric or second column are left out and
    counted."""
    from impact.ingest.read import read_into

    with Staging() as staging:
        read_into(staging, path)
        known = [c for c, _ in staging.columns("raw") if c != "_line"]

        def number(name: str | None) -> str:
            if name is None:
                return "0.0"
            text = f"NULLIF(trim(CAST({quote_identifier(name, known)} AS VARCHAR)), '')"
            return f"CAST(replace({text}, ',', '') AS DOUBLE)"

        a, y, x = quote_identifier(arm, known), number(metric), number(second)
        try:
            rows = staging.execute(f"""
                WITH rows AS (SELECT NULLIF(trim(CAST({a} AS VARCHAR)), '') AS arm,
                                     {y} AS y, {x} AS x FROM raw),
                complete AS (SELECT *, y IS NOT NULL AND x IS NOT NULL AS ok FROM rows)
                SELECT arm, count(*) FILTER (ok), sum(y) FILTER (ok), sum(y * y) FILTER (ok),
                       sum(x) FILTER (ok), sum(x * x) FILTER (ok), sum(x * y) FILTER (ok),
                       count(*) FILTER (y IS NULL), count(*) FILTER (y IS NOT NULL AND x IS NULL)
                FROM complete GROUP BY arm ORDER BY arm""").rows
        except Exception as exc:
            raise InvalidInput(
                f"{path}: the metric, covariate and denominator columns must "
                f"hold numbers ({str(exc).splitlines()[0]})."
            ) from exc
    blank_arm = sum(r[1] + r[7] + r[8] for r in rows if r[0] is None)
    rows = [r for r in rows if r[0] is not None]
    stats = {r[0]: paired(*r[1:7]) for r in rows}
    return RowStats(
        stats if second is not None else {k: s.y for k, s in stats.items()},
        blank_arm,
        {r[0]: r[7] for r in rows if r[7]},
        {r[0]: r[8] for r in rows if r[8]},
    )


def stats_from_summary(path: Path, second: str | None = None) -> ArmStats:
    """Per arm of a summary file; `second` ("covariate" or "denominator") takes those
    columns too when the file has them."""
    from impact.ingest.read import file_format

    fmt = file_format(path)
    frame = (
        pd.read_parquet(path)
        if fmt == "parquet"
        else (pd.read_excel(path) if fmt == "xlsx" else pd.read_csv(path))
    )
    missing = [c for c in SUMMARY if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{path.name} lacks column(s) {', '.join(missing)}; a summary file "
            f"has {', '.join(SUMMARY)}, plus "
            f"{', '.join(PAIRS['covariate'])} for CUPED and "
            f"{', '.join(PAIRS['denominator'])} for ratio metrics."
        )
    extra = PAIRS.get(second or "", ())
    if not all(c in frame.columns for c in extra):
        extra = ()  # the readout says what a ratio metric lacks
    out: ArmStats = {}
    for row in frame.itertuples(index=False):
        r = row._asdict()
        if extra:
            out[str(r["arm"])] = paired(r["n"], r["sum"], r["sum_squares"], *(r[c] for c in extra))
        else:
            out[str(r["arm"])] = SampleStats(int(r["n"]), float(r["sum"]), float(r["sum_squares"]))
    return out
