"""`impact demo | ingest | datasets | check`: what is stored, and storing it."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from pathlib import Path
from typing import Annotated

import typer

from impact.cli import command, emit_json, fail
from impact.errors import InvalidInput, RowsAlreadyStored, ValidationFailed
from impact.store import open_store


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


@command()
def demo(
    predictions: Annotated[
        int, typer.Option(help="Prediction rows across the four models.")
    ] = 48_000,  # impact.demo.generate.DEFAULT_PREDICTIONS, not imported at start-up
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="Do nothing if data exists (except finishing a demo a killed run left partial).",
        ),
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help="spark: also write the demo's tables as Parquet and register them in the "
            "Spark sources file, so IMPACT_ENGINE=spark reads them."
        ),
    ] = None,
) -> None:
    """Generate the demo portfolio (two A/B tests, a staggered rollout, a fraud model), load it.

    Run again after an interrupted load, it loads the datasets still missing."""
    import os
    from dataclasses import replace

    from impact.config import ENGINE_ENV, settings
    from impact.demo import is_empty, is_partial, load_demo
    from impact.demo.generate import FILE_ORDER

    spark = (engine or os.environ.get(ENGINE_ENV, "")).strip().lower() == "spark"
    config = settings()
    if spark:  # generated into the DuckDB file first, then written out for Spark
        config = replace(config, engine="duckdb")
    store = open_store(config)
    if spark and if_empty and not is_empty(store) and not is_partial(store):
        _register_demo_on_spark(store, config)
        return
    if if_empty and not is_empty(store) and not is_partial(store):
        typer.echo(f"Warehouse {store.warehouse.path} already holds data; demo not loaded.")
        return
    loaded = load_demo(
        store,
        predictions=predictions,
        seed=seed,
        progress=lambda f, m: typer.echo(f"[{f:4.0%}] {m}"),
    )
    total, new = len(FILE_ORDER), len(loaded)
    if new == total:
        typer.echo(f"Demo data loaded into {store.warehouse.path}.")
    elif new == 0:
        typer.echo(
            f"All {total} demo datasets were already loaded in {store.warehouse.path}; "
            "nothing to do."
        )
    else:
        typer.echo(
            f"{total - new} of {total} demo datasets were already loaded; loaded the other "
            f"{new}. The demo in {store.warehouse.path} is complete."
        )
    if loaded:
        _warm(store)
    if spark:
        _register_demo_on_spark(store, config)


@command()
def warm() -> None:
    """Compute the Overview's and the Data page's figures now and keep them with the data.

    Run it after loading data from a pipeline: the first person to open the app then waits
    for no scan. Any later upload or deletion makes them be computed again."""
    from impact.config import settings

    config = settings()
    if config.engine == "spark":
        raise InvalidInput(
            "impact warm keeps results beside the DuckDB warehouse; on Spark nothing is "
            "kept, so there is nothing to prepare. Leave out --engine spark (IMPACT_ENGINE)."
        )
    _warm(open_store(config))


def _warm(store) -> None:
    from impact.analysis.warm import warm as compute

    typer.echo("Computing the Overview's and the Data page's figures …")
    typer.echo(f"Ready in {compute(store):.1f} s: the pages open without scanning the data.")


def _register_demo_on_spark(store, config) -> None:
    from impact.analysis.spark import register_demo

    folder, sources = register_demo(store, config)
    typer.echo(
        f"Demo tables written as Parquet under {folder} and registered in {sources}; "
        "run with IMPACT_ENGINE=spark (or impact --engine spark …) to read them on Spark."
    )


@command()
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
    allow_duplicate_rows: Annotated[
        bool,
        typer.Option(
            help="Store outcome rows the file repeats exactly (separate events that happen "
            "to look the same); refused by default, since they would count twice."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Write the failing rows of the validation report to this CSV file."),
    ] = None,
    on_existing: Annotated[
        str,
        typer.Option(
            help="Rows the dataset already holds: refuse (default), append-new (store only "
            "the others) or replace (the file replaces the dataset's earlier uploads)."
        ),
    ] = "refuse",
) -> None:
    """Validate a file against the data contract and store it, whole or not at all."""
    from impact.ingest import ingest_file

    if report is not None and not report.parent.is_dir():  # before the work, not after
        raise InvalidInput(
            f"--report {report}: the folder {report.parent} does not exist. Create it, or "
            "give --report a path in an existing folder."
        )
    choice = on_existing.replace("-", "_")
    if choice not in ("refuse", "append_new", "replace"):
        raise InvalidInput(f"--on-existing {on_existing!r}: choose refuse, append-new or replace.")
    try:
        result = ingest_file(
            open_store(),
            file,
            kind,
            dataset=dataset,
            mapping=_parse_mapping(map_ or []),
            sheet=sheet,
            allow_unknown_units=allow_unknown_units,
            allow_duplicate_rows=allow_duplicate_rows,
            where="cli",
            progress=lambda f, m: typer.echo(f"[{f:4.0%}] {m}", err=True),
            on_existing=choice,
        )
    except RowsAlreadyStored as exc:
        fail(
            f"{exc.stored:,} of the file's {exc.rows:,} rows are already stored in dataset "
            f"{exc.dataset!r}; nothing was written. Run again with --on-existing append-new "
            "to store only the new rows, or --on-existing replace to replace the dataset's "
            "stored rows with this file (or give another --dataset name)."
        )
    except ValidationFailed as exc:
        typer.echo(exc.report.rules_frame().to_string(index=False), err=True)
        if report:
            _write_report(report, exc.report.to_csv())
        fail(str(exc))
    typer.echo(result.report.summary())
    for note in result.notes:
        typer.echo(note)
    typer.echo(f"Stored as dataset {result.dataset.name!r} (id {result.dataset.id}).")


@command()
def datasets(
    as_json: Annotated[
        bool,
        typer.Option("--json", help="One JSON object per upload, with its dataset's readiness."),
    ] = False,
) -> None:
    """List stored uploads (name, kind, rows, checksum, when, by whom) and each dataset's
    readiness: freshness against its cadence, volume, empty cells, segment values, labels."""
    from impact.analysis.portfolio import uploads
    from impact.analysis.readiness import readiness

    store = open_store()
    rows = uploads(store)
    ready = readiness(store)
    if as_json:
        by_dataset = {(r.name, r.kind): r.summary() for r in ready}
        emit_json([{**r, "readiness": by_dataset.get((r["name"], r["kind"]))} for r in rows])
        return
    if not rows:
        typer.echo("No datasets stored yet. Load the demo with `impact demo` or upload a file.")
        return
    names = [one_line(r["name"]) for r in rows]
    width = max(len(n) for n in names)
    for name, r in zip(names, rows, strict=True):
        typer.echo(
            f"{name:<{width}}  {r['kind']:<11}  {r['rows']:>10,}  "
            f"{r['checksum'][:12]}  {r['uploaded_at'].isoformat()[:19]}  {r['uploaded_by']}"
        )
    typer.echo("\nReadiness")
    for r in ready:
        latest = f"{r.latest:%Y-%m-%d %H:%M}" if r.latest else "no events"
        age = f"{r.age_days:,.1f} days ago" if r.age_days is not None else ""
        typer.echo(
            f"{one_line(r.name):<{width}}  {r.kind:<11}  {'passed' if r.passed else 'FAILED'}"
            f"  latest {latest} ({age}); cadence {r.cadence.days:g} day(s), {r.cadence.source}"
        )
        for f in r.findings:
            typer.echo(f"    - {f.kind}: {one_line(f.message)}")


def _write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(
            f"Could not write the failing rows to {path} ({exc.strerror}); give --report a "
            "path you can write to.",
            err=True,
        )
        return
    typer.echo(f"Failing rows written to {path}.", err=True)


def one_line(text: str) -> str:
    """A stored name as one line of output: control characters (a newline, a carriage
    return, an escape) are shown escaped, so a name cannot forge lines of the listing."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@command()
def delete(
    dataset: Annotated[str, typer.Argument(help="Dataset id (or name, if one upload has it).")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete even though a study or metric depends on the upload."),
    ] = False,
) -> None:
    """Remove one upload (its rows and its catalog record); admins only, and audited.

    Refused while a study's assignments or rollouts, or a metric, depend on it (--force)."""
    from impact.ingest import delete_upload

    store = open_store()
    matches = [d for d in store.catalog.datasets() if dataset in (d.id, d.name)]
    if len(matches) > 1:
        raise InvalidInput(
            f"{len(matches)} uploads are named {dataset!r}; give the id of one (see "
            "`impact datasets --json`)."
        )
    target = matches[0].id if matches else dataset
    deleted = delete_upload(store, target, force=force)
    typer.echo(f"Deleted upload {one_line(deleted.name)!r} ({target}, {deleted.rows:,} rows).")


@command()
def check(
    repair: Annotated[bool, typer.Option(help="Fix what can be fixed (default).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per problem.")] = False,
) -> None:
    """Check that the warehouse and the catalog agree on every upload; repair by default
    (analysts and admins; a viewer's check only reports)."""
    from impact.access import NEEDS, can
    from impact.ingest.reconcile import reconcile

    store = open_store()
    refused = repair and not can(store.role, "repair")
    found = reconcile(store, repair=repair and not refused)
    if refused and found:
        typer.echo(
            f"Not repaired: {store.user} has the {store.role} role and cannot repair the "
            f"catalog; that needs the {NEEDS['repair']} role. Ask an analyst or admin to run "
            "`impact check`.",
            err=True,
        )
    repair = repair and not refused
    if as_json:
        emit_json([m.__dict__ for m in found])
    elif not found:
        typer.echo("Warehouse and catalog agree on every upload.")
    for m in found if not as_json else []:
        state = "repaired" if m.repaired else "not repaired"
        typer.echo(f"{m.name} ({m.dataset_id}): {m.problem} — {state}.")
    if found and not repair:
        raise typer.Exit(1)


@command()
def sources() -> None:
    """Check the Spark sources (IMPACT_SPARK_SOURCES) against the data contract, on Spark:
    columns and types, empty keys, duplicate keys, undeclared arms, unknown units."""
    from impact.analysis.spark import check_sources

    reports = check_sources(open_store())
    if not reports:
        typer.echo("The sources file names no datasets (only tables in Impact's layout).")
    for report in reports:
        typer.echo(report.summary())
    if any(not r.ok for r in reports):
        raise typer.Exit(1)
