"""`impact overview`: the Overview's content for pipelines: the portfolio total and its
split, and one record per study or decision-valued model (the Overview's cards) with its
verdict, evidence strength, checks, money and health line; filtered as the page is."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from datetime import datetime
from typing import Annotated

import typer

from impact.cli import command, emit_json


@command()
def overview(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Only this model (repeatable).")
    ] = None,
    unit: Annotated[
        list[str] | None,
        typer.Option("--unit", "--tag", help="Only this business unit (repeatable)."),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Realised money from this day (YYYY-MM-DD)."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Realised money up to this day, inclusive."),
    ] = None,
) -> None:
    """What the AI portfolio is worth per year, what is sure, and each verdict.

    --model and --unit choose the lines the totals add; --since and --until restrict the
    realised money (the yearly projections use each study's whole evidence)."""
    from impact.analysis.model_cards import model_cards, selection
    from impact.errors import InvalidInput
    from impact.store import open_store

    cards = model_cards(open_store())
    for name, flag, asked, known in (
        ("model", "--model", model, cards.models),
        ("business unit", "--unit", unit, cards.business_units),
    ):
        unknown = [a for a in asked or [] if a not in known]
        if unknown:
            raise InvalidInput(
                f"No {name} {', '.join(map(repr, unknown))}. Known: {', '.join(known) or 'none'}; "
                f"pass one of them to {flag}, or leave {flag} out for all."
            )
    start, end = (d.date() if d else None for d in (since, until))
    if start and end and start > end:
        raise InvalidInput(f"--since {start} is after --until {end}: swap them.")
    shown = cards.select(unit, model)
    chosen = selection(shown, start, end)
    payload = {
        "currency": cards.currency,
        "filters": {
            "models": list(model or []),
            "business_units": list(unit or []),
            "since": start.isoformat() if start else None,
            "until": end.isoformat() if end else None,
        },
        "value_per_year": _figure(chosen.total) if chosen.total else None,
        "by_kind": {k: _figure(v) for k, v in chosen.by_kind.items()},
        "hours_per_year": _figure(chosen.hours) if chosen.hours else None,
        "realised": chosen.realised,
        "lines": [_record(c, start, end) for c in shown],
        "not_valued": [
            {"study": p.study, "why": p.problem}
            for p in cards.total.problems
            if not (model or unit) or any(c.name == p.study for c in shown)
        ],
    }
    if as_json:
        emit_json(payload)
        return
    _print(payload)


def _record(card, start, end) -> dict:
    line = card.line
    return {
        "name": card.name,
        "model": card.model,
        "version": card.version,
        "business_unit": card.business_unit,
        "source": card.source,
        "strength": card.strength,
        "counted": card.counted,
        "verdict": card.sentence,
        "reasons": list(card.reasons),
        "checks": [
            {"name": c.name, "status": c.status, "effect": c.effect, "why": c.why}
            for c in card.checks
        ],
        "value_per_year": _figure(line.annual) if line else None,
        "hours_per_year": _figure(line.hours) if line and line.hours else None,
        "realised": card.realised_between(start, end),
        "health": {"status": card.health.status, "line": card.health.text},
    }


def _print(payload: dict) -> None:
    cur = payload["currency"]
    t = payload["value_per_year"]
    if t is not None:
        typer.echo(
            f"Portfolio value per year (projected, what the evidence supports): "
            f"{cur} {t['estimate']:,.0f} (95% interval {t['ci_low']:,.0f} to {t['ci_high']:,.0f})"
        )
        for kind, figure in payload["by_kind"].items():
            typer.echo(f"  {kind:<8} {cur} {figure['estimate']:>14,.0f}")
        if payload["hours_per_year"] is not None:
            typer.echo(f"  time saved: {payload['hours_per_year']['estimate']:,.0f} hours a year")
        f = payload["filters"]
        span = f"from {f['since'] or 'the start'} to {f['until'] or 'now'}"
        typer.echo(f"  realised {span}: {cur} {payload['realised']:,.0f}")
    for line in payload["lines"]:
        counted = "" if line["counted"] else "  (not counted)"
        money = (
            f": {cur} {line['value_per_year']['estimate']:,.0f} a year"
            if line["value_per_year"]
            else ""
        )
        typer.echo(f"{line['strength']:<12} {line['name']}{money}{counted}")
        typer.echo(f"{'':<13}{line['verdict']}")
        for reason in line["reasons"]:
            typer.echo(f"{'':<13}why: {reason}")
        typer.echo(f"{'':<13}health ({line['health']['status']}): {line['health']['line']}")
    for p in payload["not_valued"]:
        typer.echo(f"not valued   {p['study']}: {p['why']}")


def _figure(e) -> dict:
    return {"estimate": e.effect, "ci_low": e.ci_low, "ci_high": e.ci_high, "method": e.method}
