"""The one helper that turns user-supplied names into SQL identifiers."""

from __future__ import annotations

from collections.abc import Iterable

from impact.errors import InvalidInput


def quote_identifier(name: str, known: Iterable[str] | None = None) -> str:
    """Quote `name` for SQL after checking it is one of `known` (when given).

    Values never go through here: they are bound parameters.
    """
    if not isinstance(name, str) or not name or "\x00" in name:
        raise InvalidInput(f"{name!r} is not a usable column or table name.")
    if known is not None:
        known = list(known)
        if name not in known:
            raise InvalidInput(
                f"Unknown column {name!r}; expected one of: {', '.join(known) or '(none)'}."
            )
    return '"' + name.replace('"', '""') + '"'
