"""Numbers for people, shared by the pages, the CLI and the sentences built in analysis:
currency with thousands, short money for tiles, effects with their unit, p-values that
never read "0.0000"."""

from __future__ import annotations

import math


def money(value: float, currency: str = "USD") -> str:
    return f"{currency} {value:,.0f}"


def money_about(value: float, currency: str = "USD") -> str:
    """Three significant figures, for a sentence: "about USD 739,000"."""
    if value == 0 or not math.isfinite(value):
        return money(value, currency)
    digits = 3 - 1 - math.floor(math.log10(abs(value)))
    return money(round(value, min(digits, 0)), currency)


def money_short(value: float, currency: str = "USD") -> str:
    """USD 739k, USD 11.5M: fits a tile at 1024 px, where "USD 739,220" was cut."""
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{currency} {value / limit:,.{1 if size < 100 * limit else 0}f}{suffix}"
    return f"{currency} {value:,.0f}"


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def amount(value: float, unit: str, currency: str = "USD", *, signed: bool = False) -> str:
    """A metric's value with its unit: "USD 3.08", "4.33 minutes", "1.2 percentage points".
    `unit` is the metric definition's unit (currency, minutes, hours, events) or
    "proportion" for a share, whose differences are percentage points."""
    sign = "+" if signed and value > 0 else ""
    if unit == "currency":
        return f"{'-' if value < 0 else sign}{currency} {abs(value):,.2f}"
    if unit == "proportion":
        return f"{sign}{value * 100:,.2f} percentage points"
    return f"{sign}{value:,.2f} {unit}"


def p_cell(p: float) -> str:
    """A p-value in a table: never 0.0000 (nor 0.000000000000 overflowing its column)."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
