"""`impact overview`: the Overview's content for pipelines: the portfolio total and its
split, and one record per study or decision-valued model with its verdict, evidence
strength, reasons and money."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from typing import Annotated

import typer

from impact.cli import command, emit_json


@command()
def overview(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What the AI portfolio is worth per year, what is sure, and each verdict."""
    from impact.analysis.portfolio_value import portfolio_total
    from impact.store import open_store

    total = portfolio_total(open_store())
    verdicts = {v.study: v for v in total.verdicts}
    lines = [
        {
            "name": line.name,
            "model": line.model,
            "source": line.source,
            "value_kind": line.value_kind,
            "strength": line.strength,
            "counted": line.sure,
            "reasons": list(line.reasons),
            "verdict": verdicts[line.name].said if line.name in verdicts else None,
            "value_per_year": _figure(line.annual),
            "hours_per_year": _figure(line.hours) if line.hours else None,
            "realised": line.realised,
        }
        for line in total.lines
    ]
    payload = {
        "currency": total.currency,
        "value_per_year": _figure(total.total) if total.total else None,
        "by_kind": {k: _figure(v) for k, v in total.by_kind.items()},
        "hours_per_year": _figure(total.hours) if total.hours else None,
        "realised": total.realised,
        "lines": lines,
        "not_valued": [{"study": p.study, "why": p.problem} for p in total.problems],
    }
    if as_json:
        emit_json(payload)
        return
    cur = total.currency
    if total.total is not None:
        t = total.total
        typer.echo(
            f"Portfolio value per year (projected, what the evidence supports): "
            f"{cur} {t.effect:,.0f} (95% interval {t.ci_low:,.0f} to {t.ci_high:,.0f})"
        )
        for kind, figure in total.by_kind.items():
            typer.echo(f"  {kind:<8} {cur} {figure.effect:>14,.0f}")
        if total.hours is not None:
            typer.echo(f"  time saved: {total.hours.effect:,.0f} hours a year")
        typer.echo(f"  realised so far: {cur} {total.realised:,.0f}")
    for line in lines:
        counted = "" if line["counted"] else "  (not counted)"
        typer.echo(
            f"{line['strength']:<12} {line['name']}: {cur} "
            f"{line['value_per_year']['estimate']:,.0f} a year{counted}"
        )
        for reason in line["reasons"]:
            typer.echo(f"{'':<13}why: {reason}")
    for p in payload["not_valued"]:
        typer.echo(f"not valued   {p['study']}: {p['why']}")


def _figure(e) -> dict:
    return {"estimate": e.effect, "ci_low": e.ci_low, "ci_high": e.ci_high, "method": e.method}
