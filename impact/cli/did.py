"""`impact did`: a rollout readout from a stored study or a file of unit-period rows."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from pathlib import Path
from typing import Annotated

import typer

from impact.cli import command, emit_json
from impact.errors import InvalidInput


@command()
def did(
    study: Annotated[str | None, typer.Argument(help="A stored rollout study's name.")] = None,
    rows: Annotated[Path | None, typer.Option(help="File of unit-period rows.")] = None,
    unit: Annotated[str, typer.Option(help="Unit column of --rows.")] = "unit_id",
    time: Annotated[str, typer.Option(help="Period column of --rows.")] = "period",
    outcome: Annotated[str | None, typer.Option(help="Outcome column of --rows.")] = None,
    treated_at: Annotated[
        str | None,
        typer.Option(help="Column of --rows with the unit's adoption period (empty = never)."),
    ] = None,
    treat: Annotated[
        str | None, typer.Option(help="Column of --rows with 0/1 treatment per row.")
    ] = None,
    estimator: Annotated[
        str | None,
        typer.Option(help="twfe, 2x2, event or cs (default: cs when adoption dates differ)."),
    ] = None,
    control: Annotated[
        str, typer.Option(help="Controls for cs: never (treated) or notyet (treated).")
    ] = "notyet",
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Cluster standard errors by this unit segment (stored study) or column "
            "(--rows), e.g. region, or 'unit'; each unit must sit in one cluster. Default: "
            "the study's setting 'cluster', else the unit."
        ),
    ] = None,
    metric: Annotated[str | None, typer.Option(help="A stored study's metric.")] = None,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    leads: Annotated[
        int, typer.Option(help="Event study: periods before adoption; earlier ones binned.")
    ] = 4,
    lags: Annotated[
        int, typer.Option(help="Event study: periods after adoption; later ones binned.")
    ] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Difference-in-differences: the effect of a model switched on unit by unit."""
    if (study is None) == (rows is None):
        raise InvalidInput("Give exactly one of: a rollout study's name or --rows FILE.")
    if study is not None:
        from impact.analysis.did import rollout_readout
        from impact.store import open_store

        result = rollout_readout(
            open_store(),
            study,
            estimator=estimator,
            control=control,
            metric=metric,
            alpha=alpha,
            leads=leads,
            lags=lags,
            cluster=cluster,
        )
    else:
        from impact.analysis.did import readout_on_panel
        from impact.queries.did_file import stage_panel
        from impact.warehouse import Staging

        if outcome is None:
            raise InvalidInput("--rows needs --outcome COLUMN (and --unit, --time).")
        with Staging() as staging:
            stage_panel(
                staging,
                rows,
                unit,
                time,
                outcome,
                treated_at=treated_at,
                treat=treat,
                cluster=None if cluster in ("unit", unit) else cluster,
            )
            result = readout_on_panel(
                staging,
                estimator,
                control,
                alpha=alpha,
                label=rows.name,
                metric=outcome,
                leads=leads,
                lags=lags,
                cluster="unit" if cluster in (None, "unit", unit) else cluster,
            )
    _emit(result, as_json)


def _emit(result, as_json: bool) -> None:
    e = result.estimate
    record = {
        "metric": e.metric,
        "effect": e.effect,
        "se": e.se,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "p_value": e.p_value,
        "n": e.n,
        "method": e.method,
        "warnings": list(e.warnings),
        "event_time": result.event_time,
        "group_time": result.group_time,
    }
    if as_json:
        emit_json(record)
        return
    typer.echo(
        f"{e.metric}: {e.effect:+.4g} [{e.ci_low:+.4g}, {e.ci_high:+.4g}]  "
        f"p={e.p_value:.4f}  {e.method}"
    )
    for warning in e.warnings:
        typer.echo(f"WARNING: {warning}")
    tables = (("By periods since adoption:", result.event_time), ("ATT(g, t):", result.group_time))
    for title, table in tables:
        if table is not None:
            typer.echo(f"\n{title}")
            typer.echo(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
