"""`impact ab`: an experiment readout from a stored study, unit rows, or arm summaries."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
import json
import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from impact.errors import InvalidInput
from impact.stats.experiment import (
    COVARIATE_COLUMNS,
    RATIO_COLUMNS,
    SUMMARY_COLUMNS,
    MetricInput,
    Readout,
    ReadoutOptions,
    read_experiment,
)


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
    relative: Annotated[bool, typer.Option(help="Relative lift instead of difference.")] = False,
    cuped: Annotated[
        bool | None,
        typer.Option(
            "--cuped/--no-cuped",
            help="Adjust by the pre-period covariate (default: on when one is available).",
        ),
    ] = None,
    control: Annotated[str, typer.Option(help="The control arm.")] = "control",
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    correction: Annotated[str, typer.Option(help="holm, bh or none.")] = "holm",
    sequential: Annotated[bool, typer.Option(help="Always-valid intervals.")] = False,
    pairwise: Annotated[
        bool, typer.Option(help="Also compare every pair of treatment arms.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per comparison.")
    ] = False,
) -> None:
    """Compare every arm with control: effect, interval, p-value, checks."""
    if cuped is None:
        cuped = experiment is not None or covariate is not None
    options = ReadoutOptions(
        relative=relative,
        cuped=cuped,
        correction=correction,
        sequential=sequential,
        alpha=alpha,
        pairwise=pairwise,
    )
    sources = sum(x is not None for x in (experiment, rows, summary))
    if sources != 1:
        raise InvalidInput(
            "Give exactly one of: an experiment name, --rows FILE or --summary FILE."
        )
    if experiment is not None:
        from impact.analysis.ab import experiment_readout
        from impact.store import open_store

        result = experiment_readout(
            open_store(), experiment, options, metrics=[metric] if metric else None
        )
        _emit(result.readout, as_json)
        return
    if aggregation == "ratio" and denominator is None and rows is not None:
        raise InvalidInput("A ratio metric needs --denominator COLUMN.")
    if rows is not None:
        from impact.queries.ab import summaries_from_file

        if metric is None:
            raise InvalidInput("--rows needs --metric COLUMN (and optionally --covariate).")
        frame = summaries_from_file(rows, arm, metric, covariate if cuped else None, denominator)
        if not cuped:
            frame = frame.drop(columns=list(COVARIATE_COLUMNS))
        name = metric
    else:
        frame = _read_summary(summary)
        name = metric or summary.stem
    readout = read_experiment([MetricInput(name, frame, aggregation)], control, options)
    _emit(readout, as_json)


def _read_summary(path: Path) -> pd.DataFrame:
    from impact.ingest.read import file_format

    fmt = file_format(path)
    frame = (
        pd.read_parquet(path)
        if fmt == "parquet"
        else (pd.read_excel(path) if fmt == "xlsx" else pd.read_csv(path))
    )
    missing = [c for c in SUMMARY_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{path.name} lacks column(s) {', '.join(missing)}; a summary file "
            f"has {', '.join(SUMMARY_COLUMNS)}, plus "
            f"{', '.join(COVARIATE_COLUMNS)} for CUPED and "
            f"{', '.join(RATIO_COLUMNS)} for ratio metrics."
        )
    frame["arm"] = frame["arm"].astype(str)
    return frame


def _emit(readout: Readout, as_json: bool) -> None:
    records = []
    for kind, estimates in (("primary", readout.estimates), ("guardrail", readout.guardrails)):
        for e in estimates:
            base, _, _ = e.label.partition(" vs ")
            control = e.label.split(" vs ")[-1]
            records.append(
                {
                    "comparison": e.label,
                    "metric": e.metric,
                    "kind": kind,
                    "effect": e.effect,
                    "se": e.se,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "p_value": e.p_value,
                    "relative": e.relative,
                    "n": {control: e.n["control"], base: e.n["treatment"]},
                    "method": e.method,
                    "warnings": list(e.warnings) + readout.warnings,
                    "correction": e.details.get("correction"),
                }
            )
    for item in readout.not_estimable:
        records.append(
            {
                "comparison": item["comparison"],
                "metric": item["metric"],
                "effect": None,
                "se": None,
                "ci_low": None,
                "ci_high": None,
                "p_value": None,
                "warnings": [item["reason"]],
            }
        )
    if as_json:
        typer.echo(json.dumps(records, indent=2, default=_json_default))
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


def _json_default(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)
