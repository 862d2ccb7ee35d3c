"""`impact report --output DIR`: the board report (report.html and report.pdf), the same
content as the Overview's "Board report" button."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from pathlib import Path
from typing import Annotated

import typer

from impact.cli import command
from impact.errors import InvalidInput


@command()
def report(
    output: Annotated[
        Path, typer.Option("--output", help="Folder to write report.html and report.pdf in.")
    ],
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf or both.")
    ] = "html,pdf",
) -> None:
    """Write the board report: headline, verdicts with their checks, money and its
    assumptions, methods, warnings, model health and data readiness."""
    from impact.report import FORMATS, write_report
    from impact.store import open_store

    chosen = tuple(dict.fromkeys(f.strip().lower() for f in formats.split(",") if f.strip()))
    wrong = [f for f in chosen if f not in FORMATS]
    if wrong or not chosen:
        raise InvalidInput(
            f"--format takes html, pdf or html,pdf; got {formats!r}. E.g. --format pdf."
        )
    _check_folder(output)
    for path in write_report(open_store(), output, chosen):
        typer.echo(f"wrote {path}")


def _check_folder(output: Path) -> None:
    """Refuse before the slow part: a file where the folder should be, or no way to write."""
    if output.exists() and not output.is_dir():
        raise InvalidInput(f"--output {output} is a file; give a folder (it is created if new).")
    try:
        output.mkdir(parents=True, exist_ok=True)
        probe = output / ".impact-report-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InvalidInput(
            f"--output {output} cannot be written ({exc.strerror or exc}); give a folder you "
            "can write to."
        ) from None
