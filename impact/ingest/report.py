"""What a user sees after validation: each rule, how many rows broke it, and which."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from impact.export import neutralise, to_csv
from impact.vocabulary import Where

__all__ = ["RuleResult", "ValidationReport", "neutralise"]

EXAMPLES_SHOWN = 20
FAILURES_KEPT = 10_000  # rows kept for the downloadable report
FAILURE_COLUMNS = ["rule", "line", "column", "value", "problem"]


@dataclass
class RuleResult:
    rule: str
    description: str
    failed_rows: int = 0
    # line, column, value, problem for up to FAILURES_KEPT rows
    failures: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=FAILURE_COLUMNS[1:])
    )
    fix: str = ""
    blocking: bool = True

    @property
    def passed(self) -> bool:
        return self.failed_rows == 0

    @property
    def file_level(self) -> bool:
        """The rule judged the file as a whole (a missing column), not row by row."""
        return self.failed_rows < 0

    @property
    def what_failed(self) -> str:
        """What broke the rule, in words: a count of rows, or the file-level problem."""
        if self.passed:
            return ""
        if self.file_level:
            problems = [str(p) for p in self.failures["problem"] if isinstance(p, str)]
            return "; ".join(problems) or "the file as a whole"
        return f"{self.failed_rows:,} row{'s' if self.failed_rows != 1 else ''}"


@dataclass
class ValidationReport:
    file_name: str
    kind: str
    rows: int = 0
    results: list[RuleResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    where: Where = "cli"  # whose controls the fixes name: the CLI's flags or the page's

    def add(self, result: RuleResult) -> RuleResult:
        self.results.append(result)
        return result

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed and r.blocking]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def warnings(self) -> list[RuleResult]:
        """Rules that found something but do not block the upload (stored as it is)."""
        return [r for r in self.results if not r.passed and not r.blocking]

    def summary(self) -> str:
        if self.ok:
            lines = [f"{self.file_name}: {self.rows:,} rows passed {len(self.results)} checks."]
        else:
            lines = [f"{self.file_name} was not stored: {len(self.failed)} check(s) failed."]
        for r in self.failed + self.warnings:
            count = f"{r.failed_rows:,} row(s)" if r.failed_rows > 0 else r.what_failed
            flag = "" if r.blocking else "warning, stored anyway: "
            lines.append(f"- {flag}{r.description} [{r.rule}]: {count}.")
            for row in r.failures.head(3).itertuples(index=False):
                where = f"line {row.line}: " if pd.notna(row.line) else ""
                lines.append(f"    {where}{row.problem}")
            if r.fix:
                lines.append(f"  Fix: {r.fix}" if r.blocking else f"  Note: {r.fix}")
        return "\n".join(lines)

    def rules_frame(self) -> pd.DataFrame:
        """One row per rule: what it checks, how many rows broke it (none for a rule on the
        file as a whole), what failed in words, the fix."""
        frame = pd.DataFrame(
            [
                {
                    "rule": r.rule,
                    "check": r.description,
                    "status": "passed" if r.passed else ("failed" if r.blocking else "warning"),
                    "failed_rows": None if r.file_level else r.failed_rows,
                    "failed": r.what_failed,
                    "fix": "" if r.passed else r.fix,
                }
                for r in self.results
            ],
            columns=["rule", "check", "status", "failed_rows", "failed", "fix"],
        )
        return frame.astype({"failed_rows": "Int64"})

    def failures_frame(self) -> pd.DataFrame:
        """Every kept failing row of every rule, for the CSV download."""
        frames = [r.failures.assign(rule=r.rule) for r in self.results if not r.passed]
        if not frames:
            return pd.DataFrame(columns=FAILURE_COLUMNS)
        frame = pd.concat(frames, ignore_index=True)[FAILURE_COLUMNS]
        return frame.astype({"line": "Int64"})

    def to_csv(self) -> str:
        """The failures as CSV, safe to open in a spreadsheet: a cell that would start a
        formula (=, +, -, @, tab, CR) and is not a plain number gets a leading apostrophe."""
        return to_csv(self.failures_frame())
