"""Every file Impact exports for people: CSV that a spreadsheet opens as data, never formulas.

A text cell starting with =, +, -, @, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (OWASP "CSV injection"): `+HYPERLINK(…)`, `@SUM(…)*cmd|`,
`-2+3+cmd|`. Such a cell gets a leading apostrophe, which spreadsheets show as text. Only
text is touched: numbers stay numbers (a numeric column's -0.5 is written as -0.5), and so
does text that is a plain number ("-12").
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """A formula-like text cell made inert; anything else unchanged."""
    if not isinstance(cell, str) or not cell.startswith(FORMULA_STARTS):
        return cell
    try:
        float(cell)  # -5, +1.5: numbers stay numbers
        return cell
    except ValueError:
        return "'" + cell


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names are neutralised; other columns as they were."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or _is_time(out[column])):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """The one CSV writer of exports (downloads and the CLI)."""
    # RFC 4180 line ends, so a cell holding a CR or LF is quoted rather than split
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n")


def _is_time(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series) or isinstance(series.dtype, pd.PeriodDtype)
