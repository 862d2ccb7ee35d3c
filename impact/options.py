"""Check option strings against their allowed values, pyfixest style."""

from __future__ import annotations

from typing import Any, get_args

from impact.errors import InvalidInput


def check_choice(name: str, value: Any, allowed: Any) -> str:
    """Return `value` if it is one of `allowed` (a Literal type or a collection)."""
    choices = get_args(allowed) or tuple(allowed)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise InvalidInput(f"{name} must be one of {listed}; got {value!r}.")
    return value
