"""`impact ab`: an experiment readout from a stored study, unit rows, or arm summaries."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from impact.cli import command, emit_json
from impact.errors import InvalidInput
from impact.options import ReadoutOptions
from impact.vocabulary import MetricAggregation, check_choice

if TYPE_CHECKING:
    from impact.analysis.ab import Readout


@command()
def ab(
    experiment: Annotated[str | None, typer.Argument(help="A stored experiment's name.")] = None,
    rows: Annotated[Path | None, typer.Option(help="File of unit-level rows.")] = None,
    summary: Annotated[
        Path | None,
        typer.Option(
            help="File of per-arm summaries: arm, n, sum, sum_squares (+ covariate_* / "
            "denominator_* columns)."
        ),
    ] = None,
    arm: Annotated[str, typer.Option(help="Arm column of --rows.")] = "arm",
    metric: Annotated[
        str | None, typer.Option(help="Metric column of --rows, or a stored metric's name.")
    ] = None,
    covariate: Annotated[str | None, typer.Option(help="Pre-period covariate column.")] = None,
    denominator: Annotated[str | None, typer.Option(help="Ratio denominator column.")] = None,
    aggregation: Annotated[str, typer.Option(help="sum, mean, proportion or ratio.")] = "mean",
    relative: Annotated[
        bool | None,
        typer.Option(
            "--relative/--difference",
            help="Relative lift instead of difference (default: the study's setting, else off).",
        ),
    ] = None,
    cuped: Annotated[
        bool | None,
        typer.Option(
            "--cuped/--no-cuped",
            help="Adjust by the pre-period covariate (default: on when one is available).",
        ),
    ] = None,
    control: Annotated[str, typer.Option(help="The control arm.")] = "control",
    alpha: Annotated[
        float | None, typer.Option(help="Significance level (default: the study's, else 0.05).")
    ] = None,
    correction: Annotated[
        str | None, typer.Option(help="holm, bh or none (default: the study's, else holm).")
    ] = None,
    sequential: Annotated[
        bool | None,
        typer.Option(
            "--sequential/--fixed-sample",
            help="Always-valid intervals (default: the study's setting, else off).",
        ),
    ] = None,
    pairwise: Annotated[
        bool | None,
        typer.Option(
            "--pairwise/--against-control",
            help="Also compare every pair of treatment arms (default: the study's, else off).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per comparison.")
    ] = False,
) -> None:
    """Compare every arm with control: effect, interval, p-value, checks."""
    check_choice("--aggregation", aggregation, MetricAggregation)
    sources = sum(x is not None for x in (experiment, rows, summary))
    if sources != 1:
        raise InvalidInput(
            "Give exactly one of: an experiment name, --rows FILE or --summary FILE."
        )
    from impact.analysis.ab import experiment_readout, file_readout, study_options

    given = {
        "relative": relative,
        "cuped": cuped,
        "correction": correction,
        "sequential": sequential,
        "alpha": alpha,
        "pairwise": pairwise,
    }
    given = {k: v for k, v in given.items() if v is not None}  # flags override the study
    if experiment is not None:
        from impact.store import open_store

        store = open_store()
        options = replace(study_options(store, experiment), **given)
        result = experiment_readout(
            store, experiment, options, metrics=[metric] if metric else None
        )
        _emit(result.readout, as_json)
        return
    options = ReadoutOptions(**{"cuped": covariate is not None, **given})
    if aggregation == "ratio" and denominator is None and rows is not None:
        raise InvalidInput("A ratio metric needs --denominator COLUMN.")
    if rows is not None and metric is None:
        raise InvalidInput("--rows needs --metric COLUMN (and optionally --covariate).")
    readout = file_readout(
        options,
        rows=rows,
        summary=summary,
        arm=arm,
        metric=metric,
        covariate=covariate,
        denominator=denominator,
        aggregation=aggregation,
        control=control,
    )
    _emit(readout, as_json)


def _records(readout: "Readout") -> list[dict]:
    """One tidy record per comparison (estimable or not), with the readout's warnings."""
    records = []
    for kind, estimates in (("primary", readout.estimates), ("guardrail", readout.guardrails)):
        for e in estimates:
            record = {"comparison": e.label, "kind": kind, **e.tidy()}
            record["n"] = {e.control_arm: e.n["control"], e.treatment_arm: e.n["treatment"]}
            record["warnings"] += readout.warnings
            records.append(record)
    for item in readout.not_estimable:
        records.append(
            {
                "comparison": item.comparison,
                "metric": item.metric,
                "effect": None,
                "se": None,
                "ci_low": None,
                "ci_high": None,
                "p_value": None,
                "warnings": [item.reason],
            }
        )
    return records


def _emit(readout: "Readout", as_json: bool) -> None:
    records = _records(readout)
    if as_json:
        emit_json(records)
        return
    for warning in readout.warnings:
        typer.echo(f"WARNING: {warning}")
    for r in records:
        if r["effect"] is None:
            typer.echo(f"{r['metric']:<16} {r['comparison']:<28} not estimable: {r['warnings'][0]}")
            continue
        unit = "%" if r["relative"] else ""
        scale = 100 if r["relative"] else 1
        typer.echo(
            f"{r['metric']:<16} {r['comparison']:<28} "
            f"{r['effect'] * scale:+.4g}{unit} "
            f"[{r['ci_low'] * scale:+.4g}, {r['ci_high'] * scale:+.4g}]  "
            f"p={r['p_value']:.4f}  {r['method']}"
        )
