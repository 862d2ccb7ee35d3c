"""The `impact` command line: load demo data, ingest files, list what is stored."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from impact.errors import ImpactError, InvalidInput, ValidationFailed
from impact.store import open_store

app = typer.Typer(
    help="Measure the business impact of production ML models.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def friendly_errors(command):
    """Turn ImpactError into its message and exit code 1, for commands defined elsewhere."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ImpactError as exc:
            _fail(str(exc))

    return run


def _parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source or not target:
            raise InvalidInput(
                f"--map takes SOURCE=TARGET (e.g. --map cust=unit_id); got {pair!r}."
            )
        mapping[source] = target
    return mapping


@app.command()
def demo(
    predictions: Annotated[
        int, typer.Option(help="Prediction rows across the three models.")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if data exists.")
    ] = False,
) -> None:
    """Generate the demo portfolio (A/B test, staggered rollout, fraud model) and load it."""
    from impact.demo import is_empty, load_demo

    store = open_store()
    if if_empty and not is_empty(store):
        typer.echo(f"Warehouse {store.warehouse.path} already holds data; demo not loaded.")
        return
    try:
        load_demo(
            store,
            predictions=predictions,
            seed=seed,
            progress=lambda f, m: typer.echo(f"[{f:4.0%}] {m}"),
        )
    except ImpactError as exc:
        _fail(str(exc))
    typer.echo(f"Demo data loaded into {store.warehouse.path}.")


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel (.xlsx) file.")],
    kind: Annotated[str, typer.Option(help="predictions, outcomes, assignments or rollouts.")],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="SOURCE=TARGET: read the file's column SOURCE as TARGET (repeatable)."
        ),
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="Dataset name (default: file name).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet to read.")] = None,
    allow_unknown_units: Annotated[
        bool,
        typer.Option(
            help="Store outcome rows for units no assignment, rollout or prediction knows."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Write the failing rows of the validation report to this CSV file."),
    ] = None,
) -> None:
    """Validate a file against the data contract and store it, whole or not at all."""
    from impact.ingest import ingest_file

    store = open_store()
    try:
        result = ingest_file(
            store,
            file,
            kind,
            dataset=dataset,
            mapping=_parse_mapping(map_ or []),
            sheet=sheet,
            allow_unknown_units=allow_unknown_units,
            progress=lambda f, m: typer.echo(f"[{f:4.0%}] {m}", err=True),
        )
    except ValidationFailed as exc:
        typer.echo(exc.report.rules_frame().to_string(index=False), err=True)
        if report:
            report.write_text(exc.report.to_csv())
            typer.echo(f"Failing rows written to {report}.", err=True)
        _fail(str(exc))
    except ImpactError as exc:
        _fail(str(exc))
    typer.echo(result.report.summary())
    for note in result.notes:
        typer.echo(note)
    typer.echo(f"Stored as dataset {result.dataset.name!r} (id {result.dataset.id}).")


@app.command()
def datasets(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per upload.")] = False,
) -> None:
    """List stored uploads: name, kind, rows, checksum, when and by whom."""
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "kind": d.kind,
            "file_name": d.file_name,
            "rows": d.rows,
            "checksum": d.checksum,
            "uploaded_at": d.uploaded_at.isoformat(),
            "uploaded_by": d.uploaded_by,
            "mapping": d.mapping,
        }
        for d in open_store().catalog.datasets()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("No datasets stored yet. Load the demo with `impact demo` or upload a file.")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        typer.echo(
            f"{r['name']:<{width}}  {r['kind']:<11}  {r['rows']:>10,}  "
            f"{r['checksum'][:12]}  {r['uploaded_at'][:19]}  {r['uploaded_by']}"
        )


@app.command()
def check(
    repair: Annotated[bool, typer.Option(help="Fix what can be fixed (default).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per problem.")] = False,
) -> None:
    """Check that the warehouse and the catalog agree on every upload; repair by default."""
    from impact.ingest.reconcile import reconcile

    found = reconcile(open_store(), repair=repair)
    if as_json:
        typer.echo(json.dumps([m.__dict__ for m in found], indent=2))
    elif not found:
        typer.echo("Warehouse and catalog agree on every upload.")
    for m in found if not as_json else []:
        state = "repaired" if m.repaired else "not repaired"
        typer.echo(f"{m.name} ({m.dataset_id}): {m.problem} — {state}.")
    if found and not repair:
        raise typer.Exit(1)


def _register_ab() -> None:
    from impact.cli_ab import ab

    app.command(name="ab")(friendly_errors(ab))
    from impact.cli_value import value

    app.command(name="value")(friendly_errors(value))


_register_ab()


def _register_health() -> None:
    from impact.cli_health import health

    app.command(name="health")(friendly_errors(health))


_register_health()


def _register_did() -> None:
    from impact.cli_did import did

    app.command(name="did")(friendly_errors(did))


_register_did()


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
