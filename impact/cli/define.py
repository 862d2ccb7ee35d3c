"""`impact define`, `impact metrics`, `impact studies`, `impact export-definitions`:
definitions as code, kept in a YAML file under version control."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from pathlib import Path
from typing import Annotated

import typer

from impact.cli import command, emit_json


@command()
def define(
    file: Annotated[Path, typer.Argument(help="A definitions file (YAML).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per change.")] = False,
) -> None:
    """Check a definitions file against what is stored and apply it: all of it or nothing.

    Every problem is listed with its place in the file (e.g. metrics.revenue_28d.column).
    Each created or changed metric, study and assumption gets a new version, audited."""
    from impact.analysis.definitions import define_file
    from impact.store import open_store

    result = define_file(open_store(), file, dry_run=dry_run)
    if as_json:
        emit_json([c.tidy() for c in result.changes])
        return
    would = "would be " if dry_run else ""
    for c in result.changes:
        version = f" (v{c.version})" if c.version else ""
        typer.echo(f"{c.place}: {would}{c.status}{version}")
        if c.status == "changed":
            for name, (old, new) in c.fields.items():
                typer.echo(f"    {name}: {old!r} → {new!r}")
    counts = ", ".join(f"{n} {status}" for status, n in result.counts().items())
    typer.echo(f"{'Dry run, nothing changed' if dry_run else 'Applied'}: {counts}.")


@command()
def metrics(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per metric.")] = False,
) -> None:
    """Every defined metric: dataset, column, aggregation, kind, unit, owner and version."""
    from impact.analysis.definitions import metric_table
    from impact.store import open_store

    rows = metric_table(open_store())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No metrics defined yet; define them with `impact define FILE.yaml`.")
    for r in rows:
        of = r["column"] + (f" / {r['denominator']}" if r["denominator"] else "")
        typer.echo(
            f"{r['name']} v{r['version']}: {r['aggregation']} of {r['dataset']}.{of}, "
            f"{r['direction']} is better, {r['value_kind']} in {r['unit']}"
            + (f", owner {r['owner']}" if r["owner"] else "")
        )


@command()
def studies(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per study.")] = False,
) -> None:
    """Every study: kind, arms, metrics, settings and version."""
    from impact.analysis.definitions import study_table
    from impact.store import open_store

    rows = study_table(open_store())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No studies yet; define them with `impact define FILE.yaml`.")
    for r in rows:
        if r["kind"] == "ab":
            detail = (
                f"A/B, arms {', '.join(r['arms'])} (control {r['control_arm']}), primary "
                f"metric {r['primary_metric'] or '(none)'}"
            )
            if r["guardrail_metrics"]:
                detail += f", guardrails {', '.join(r['guardrail_metrics'])}"
        else:
            detail = f"rollout per {r['period']}, metric {r['primary_metric'] or '(none)'}"
        typer.echo(f"{r['name']} v{r['version']}: {detail}")


@command("export-definitions")
def export_definitions(
    output: Annotated[
        Path | None, typer.Option(help="Write to this file (default: print it).")
    ] = None,
) -> None:
    """Write every metric, study and assumption out as a definitions file; defining it
    again changes nothing."""
    from impact.analysis.definitions import export_definitions as export
    from impact.store import open_store

    text = export(open_store())
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {output}.")
