"""`impact value`: what a study's effect is worth, with the assumptions behind it."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from typing import Annotated

import typer

from impact.cli import command, emit_json


@command()
def value(
    study: Annotated[str, typer.Argument(help="A stored A/B study.")],
    arm: Annotated[str | None, typer.Option(help="Arm to value (default: the best).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Money per unit and per year, ROI and payback, each with its interval."""
    from impact.analysis.value import study_value, value_frame
    from impact.store import open_store

    result = study_value(open_store(), study, arm)
    frame = value_frame(result)
    assumptions = [
        {
            "name": a.name,
            "scope": a.scope,
            "value": a.value,
            "se": a.se,
            "unit": a.unit,
            "version": a.version,
        }
        for a in result.assumptions
    ]
    if as_json:
        emit_json(
            {
                "study": result.study,
                "arm": result.arm,
                "metric": result.metric,
                "conversion": result.rate.explanation,
                "interval_method": result.annual.method,
                "figures": frame,
                "assumptions": assumptions,
            }
        )
        return
    typer.echo(
        f"{result.study}: {result.arm} on {result.metric} (conversion: {result.rate.explanation})"
    )
    for row in frame.itertuples():
        typer.echo(
            f"  {row.figure:<18} {row.estimate:>14,.2f}  "
            f"[{row.ci_low:,.2f}, {row.ci_high:,.2f}] {row.currency}"
        )
    typer.echo(f"  interval: {result.annual.details.get('money_interval', '')}")
    for a in result.assumptions:
        typer.echo(f"  assumes {a.describe()}")
