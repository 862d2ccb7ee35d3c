"""How many rows and columns one upload may hold, checked before the rows are parsed.

Each reader looks first at what is cheap to know: a CSV's header line and its count of line
breaks, a Parquet file's footer, a workbook's first rows (read in a stream). A file over a
limit is refused then, in about a second and with little memory, instead of after it has
been parsed whole into the staging database.
"""

from __future__ import annotations

from dataclasses import dataclass

from impact.errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int

    @classmethod
    def of(cls, rows: int | None = None, columns: int | None = None) -> Limits:
        """The given limits, each one not given from the settings (IMPACT_ROW_LIMIT …)."""
        if rows is None or columns is None:
            from impact.config import settings

            config = settings()
            rows = config.row_limit if rows is None else rows
            columns = config.column_limit if columns is None else columns
        return cls(rows, columns)

    def check_columns(self, name: str, columns: int) -> None:
        if columns > self.columns:
            raise InvalidInput(
                f"{name} has {columns:,} columns, above the limit of {self.columns:,} columns "
                "per upload. Keep the columns the upload needs (the contract's, and the "
                "metrics or features you use) and upload again, or raise IMPACT_COLUMN_LIMIT."
            )

    def check_rows(self, name: str, rows: int, *, at_least: bool = False) -> None:
        """`at_least`: the count stopped early, so the file has `rows` rows or more."""
        if rows > self.rows:
            counted = f"more than {self.rows:,}" if at_least else f"{rows:,}"
            raise InvalidInput(
                f"{name} has {counted} rows, above the limit of {self.rows:,} rows per upload. "
                "Split the file, or raise IMPACT_ROW_LIMIT."
            )
