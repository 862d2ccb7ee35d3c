"""Which sheet of a workbook to read, and how large it is, from one streamed pass each.

The Excel reader builds every row of a sheet in memory, so the sheet is chosen and
measured first, streaming (openpyxl's read-only mode keeps one row at a time): sheets with
data, the widest row, the rows up to one past the row limit (the count stops there), and
the cells that hold formulas instead of values. Only then is the one chosen sheet read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from impact.errors import InvalidInput
from impact.ingest.excel import SHOWN
from impact.ingest.limits import Limits


@dataclass
class SheetScan:
    rows: int = 0  # rows with a value, the header included, counted up to the stop
    complete: bool = True  # False when the count stopped: the sheet has more rows
    width: int = 0  # cells of the widest row, not counting empty cells at its end
    formulas: list = field(default_factory=list)  # formula cells below row 1 (SHOWN + 1)


def choose_sheet(path: Path, sheet: str | None, limits: Limits) -> tuple[str, SheetScan]:
    """The sheet to read (refusing a missing one, or several with data when none is
    named) and its scan; refuses it when it has more rows or columns than `limits`."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise InvalidInput(
                f"{path.name} has no sheet {sheet!r}; its sheets are: {', '.join(names)}."
            )
        if sheet is None:
            filled = [n for n in names if scan(book[n], stop=2).rows > 1]
            if len(filled) > 1:
                raise InvalidInput(
                    f"{path.name} has {len(filled)} sheets with data ({', '.join(filled)}). "
                    "Choose one with --sheet NAME (or the sheet selector), or save it as its "
                    "own file."
                )
            sheet = next(iter(filled), names[0])
        found = scan(book[sheet], stop=limits.rows + 2, columns=limits.columns)
    finally:
        book.close()
    limits.check_columns(path.name, found.width)
    limits.check_rows(path.name, max(found.rows - 1, 0), at_least=not found.complete)
    return sheet, found


def scan(ws, stop: int, columns: int | None = None) -> SheetScan:
    """Stream the rows of `ws`: stop after `stop` rows with a value, or at a row wider
    than `columns` (then `width` is that row's)."""
    found = SheetScan()
    for number, row in enumerate(ws.iter_rows(), start=1):
        width = _width(row)
        if not width:
            continue
        found.rows += 1
        found.width = max(found.width, width)
        if number > 1 and len(found.formulas) <= SHOWN:
            found.formulas += [c for c in row if c.data_type == "f" and isinstance(c.value, str)]
        if found.rows >= stop or (columns is not None and width > columns):
            found.complete = False
            break
    return found


def _width(row) -> int:
    for i in range(len(row) - 1, -1, -1):
        value = row[i].value
        if value is not None and value != "":
            return i + 1
    return 0
