"""`impact did`: a rollout readout from a stored study or a file of unit-period rows.

Options not given on the command line are the stored study's (else the defaults of
impact.options.RolloutOptions), as on the Rollouts page and in the money figures.
"""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from impact.cli import command, emit_json
from impact.errors import InvalidInput
from impact.options import RolloutOptions

if TYPE_CHECKING:
    from impact.analysis.did import RolloutReadout


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
        str | None,
        typer.Option(help="Controls for cs: never (treated) or notyet (treated, the default)."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Cluster standard errors by this unit segment (stored study) or column "
            "(--rows), e.g. region, or 'unit'; each unit must sit in one cluster. Default: "
            "the study's setting 'cluster', else the unit."
        ),
    ] = None,
    metric: Annotated[str | None, typer.Option(help="A stored study's metric.")] = None,
    alpha: Annotated[float | None, typer.Option(help="Significance level (default: 0.05).")] = None,
    leads: Annotated[
        int | None,
        typer.Option(help="Event study: periods before adoption, earlier ones binned (4)."),
    ] = None,
    lags: Annotated[
        int | None,
        typer.Option(help="Event study: periods after adoption, later ones binned (4)."),
    ] = None,
    aggregate: Annotated[
        str | None,
        typer.Option(
            help="cs: the headline aggregation of ATT(g, t), simple, dynamic (by periods "
            "since adoption), group (by cohort) or calendar (by period); --json holds all four."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Difference-in-differences: the effect of a model switched on unit by unit.

    For a stored study, options not given are the study's own settings.
    """
    if (study is None) == (rows is None):
        raise InvalidInput("Give exactly one of: a rollout study's name or --rows FILE.")
    given = {
        "estimator": estimator,
        "control": control,
        "cluster": cluster,
        "alpha": alpha,
        "leads": leads,
        "lags": lags,
        "aggregate": aggregate,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if aggregate not in (None, "simple") and estimator not in (None, "cs"):
        raise InvalidInput(f"--aggregate {aggregate} takes --estimator cs, not {estimator}.")
    if study is not None:
        from impact.analysis.did import rollout_options, rollout_readout
        from impact.store import open_store

        store = open_store()
        options = rollout_options(store, study, **given)
        result = rollout_readout(store, study, options, metric=metric)
    else:
        from impact.analysis.did import PanelFile, file_readout

        if outcome is None:
            raise InvalidInput("--rows needs --outcome COLUMN (and --unit, --time).")
        source = PanelFile(rows, unit, time, outcome, treated_at=treated_at, treat=treat)
        result = file_readout(source, RolloutOptions(**given))
    _emit(result, as_json)


def _emit(result: "RolloutReadout", as_json: bool) -> None:
    from impact.analysis.did import p_text

    e = result.estimate
    record = {
        **e.tidy(),
        "n": e.n,
        "event_time": result.event_time,
        "group_time": result.group_time,
        "checks": [c.tidy() for c in result.checks],
        "study_version": result.study_version,
        "metric_version": result.metric_version,
        "aggregations": {
            how: {**a.estimate.tidy(), "table": a.table} for how, a in result.aggregations.items()
        },
    }
    if as_json:
        emit_json(record)
        return
    typer.echo(
        f"{e.metric}: {e.effect:+.4g}, {1 - e.alpha:.0%} CI [{e.ci_low:+.4g}, {e.ci_high:+.4g}]  "
        f"{p_text(e)}  {e.method}"
    )
    if result.study_version is not None:
        used = f"study v{result.study_version}, metric {e.metric} v{result.metric_version}"
        typer.echo(f"Definitions: {used}")
    for warning in e.warnings:
        typer.echo(f"WARNING: {warning.message}")
    typer.echo("\nChecks:")
    for check in result.checks:
        typer.echo(f"  {_check_line(check)}")
    if len(result.aggregations) > 1:
        typer.echo("\nCallaway–Sant'Anna aggregations:")
        for how, a in result.aggregations.items():
            x = a.estimate
            typer.echo(
                f"  {how:<8} {x.effect:+.4g} [{x.ci_low:+.4g}, {x.ci_high:+.4g}]  p={x.p_value:.4f}"
            )
    tables = (("By periods since adoption:", result.event_time), ("ATT(g, t):", result.group_time))
    for title, table in tables:
        if table is not None:
            typer.echo(f"\n{title}")
            typer.echo(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))


def _check_line(check) -> str:
    if not check.ran:
        return f"{check.name}: not run. {check.note}"
    df = ", ".join(f"{d:g}" for d in check.df if d is not None)
    return (
        f"{check.name}: {check.outcome} ({check.statistic_name}({df}) = {check.statistic:.3g}, "
        f"p = {check.p_value:.3g}; null: {check.hypothesis})"
    )
