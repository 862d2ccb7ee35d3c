"""The `impact` command line: one Typer app, one error handler, one JSON writer.

Each group of commands lives in its own module (data, ab, did, value, health) and calls
`impact.analysis` (or `impact.ingest` to store files) only: never queries or statistics.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from datetime import date, datetime
from typing import Any

import typer

from impact.errors import ImpactError

app = typer.Typer(
    help="Measure the business impact of production ML models.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _engine(
    engine: str = typer.Option(
        None,
        "--engine",
        help="duckdb (default) or spark: where the facts are read (sets IMPACT_ENGINE).",
    ),
) -> None:
    import os

    from impact.config import ENGINE_ENV

    if engine:
        os.environ[ENGINE_ENV] = engine


def fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def command(name: str | None = None):
    """Register a command; an ImpactError becomes its message on stderr and exit code 1."""

    def register(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except ImpactError as exc:
                fail(str(exc))

        app.command(name=name)(run)
        return function

    return register


def plain(obj: Any) -> Any:
    """JSON-ready: frames as records, timestamps as ISO text, non-finite numbers as null."""
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):  # a DataFrame
        return [plain(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if str(obj) == "NaT":  # pandas' missing timestamp (itself a datetime)
        return None
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if hasattr(obj, "item"):  # numpy scalars
        return plain(obj.item())
    return str(obj)


def emit_json(payload: Any) -> None:
    typer.echo(json.dumps(plain(payload), indent=2))


# The groups register their commands on import.
from impact.cli import ab, data, define, did, health, overview, report, serve, value  # noqa: E402, F401


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
