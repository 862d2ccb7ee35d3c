"""The words of a fix that differ by where the upload was asked for.

The CLI names its flags (`--map your_name=unit_id`); the Data page names its own controls
(the column mapping table, a checkbox). Every rule that suggests one of these asks here,
with the report's `where`, so the two wordings cannot drift apart.
"""

from __future__ import annotations

from impact.vocabulary import Where

PHRASES: dict[str, dict[Where, str]] = {
    "map": {
        "cli": "--map your_name={column}",
        "app": "a row in the column mapping table (file column: your name, contract column: "
        "{column})",
    },
    "map_short": {"cli": "--map", "app": "the column mapping table"},
    "unknown_units": {
        "cli": "accept them with --allow-unknown-units",
        "app": "accept them by ticking 'Store rows for units no study knows yet' and "
        "clicking 'Validate and store' again",
    },
    "duplicate_rows": {
        "cli": "store them as they are with --allow-duplicate-rows",
        "app": "store them as they are by ticking 'Store repeated rows as they are' and "
        "clicking 'Validate and store' again",
    },
    "append_new": {
        "cli": "--on-existing append-new",
        "app": "'Add only the rows not yet stored' under 'If rows are already stored'",
    },
    "replace": {
        "cli": "--on-existing replace",
        "app": "'Replace the dataset's stored rows with this file' under 'If rows are "
        "already stored'",
    },
}


def say(phrase: str, where: Where, **values: str) -> str:
    """The phrase in the words of `where` ("cli" or "app")."""
    return PHRASES[phrase][where].format(**values)
