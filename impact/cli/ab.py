"""`impact ab`: an experiment readout from a stored study, unit rows, or arm summaries."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from impact.cli import command, emit_json
from impact.errors import InvalidInput
from impact.options import ReadoutOptions
from impact.vocabulary import Direction, MetricAggregation, check_choice

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
            "--relative/--no-relative",
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
            "--sequential/--no-sequential",
            help="Always-valid intervals (default: the study's setting, else off).",
        ),
    ] = None,
    pairwise: Annotated[
        bool | None,
        typer.Option(
            "--pairwise/--no-pairwise",
            help="Also compare every pair of treatment arms (default: the study's, else off).",
        ),
    ] = None,
    tuning: Annotated[
        int | None,
        typer.Option(
            "--tuning",
            help="Units at which always-valid intervals are tightest (default: the study's, "
            "else 5000).",
        ),
    ] = None,
    power: Annotated[
        float | None,
        typer.Option(
            help="Power level of the MDE and sample size (default: the study's, else 0.8)."
        ),
    ] = None,
    target: Annotated[
        float | None,
        typer.Option(
            help="Effect to detect, in metric units per unit (also with --relative), for the "
            "sample size (default: the study's target for the metric)."
        ),
    ] = None,
    planned: Annotated[
        str | None,
        typer.Option(
            help="--rows/--summary: planned split for the sample-ratio check, e.g. "
            "control=0.5,treatment=0.5 (default: equal arms, said in the output)."
        ),
    ] = None,
    guardrail: Annotated[
        float | None,
        typer.Option(
            help="--rows/--summary: read the metric as a guardrail tolerating this "
            "degradation (metric units, or a lift with --relative)."
        ),
    ] = None,
    direction: Annotated[
        str, typer.Option(help="--rows/--summary: which way is better, higher or lower.")
    ] = "higher",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per comparison.")
    ] = False,
) -> None:
    """Compare every arm with control: effect, interval, p-value, power, checks."""
    check_choice("--aggregation", aggregation, MetricAggregation)
    check_choice("--direction", direction, Direction)
    if tuning is not None and tuning <= 0:
        raise InvalidInput(f"--tuning takes a positive number of units; got {tuning}.")
    if power is not None and not 0 < power < 1:
        raise InvalidInput(f"--power takes a level between 0 and 1, e.g. 0.8; got {power}.")
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
        "tuning_n": tuning,
        "power": power,
    }
    given = {k: v for k, v in given.items() if v is not None}  # flags override the study
    if experiment is not None:
        if planned is not None or guardrail is not None:
            raise InvalidInput(
                "--planned and --guardrail are for --rows/--summary; a stored study keeps "
                "its planned split and guardrails in its settings."
            )
        from impact.store import open_store

        store = open_store()
        options = replace(study_options(store, experiment), **given)
        study = store.catalog.study(experiment)
        chosen = metric or study.primary_metric
        result = experiment_readout(
            store,
            study,
            options,
            metrics=[metric] if metric else None,
            targets={chosen: target} if target and chosen else None,
        )
        versions = {"study_version": result.study_version}
        _emit(result.readout, as_json, versions, result.metric_versions)
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
        planned_split=_split(planned) if planned else None,
        guardrail_tolerance=guardrail,
        direction=direction,
        target_effect=target,
    )
    _emit(readout, as_json)


def _split(text: str) -> dict[str, float]:
    """--planned control=0.5,treatment=0.5 → {"control": 0.5, "treatment": 0.5}."""
    split: dict[str, float] = {}
    for part in text.split(","):
        name, _, share = part.partition("=")
        try:
            value = float(share)
        except ValueError:
            value = -1.0
        if not name.strip() or value <= 0:
            raise InvalidInput(
                f"--planned takes ARM=SHARE pairs with positive shares, e.g. "
                f"control=0.5,treatment=0.5; got {part!r}."
            )
        split[name.strip()] = value
    return split


def _records(
    readout: "Readout", versions: dict | None = None, metric_versions: dict | None = None
) -> list[dict]:
    """One tidy record per comparison (estimable or not), with its power, the sample-ratio
    check and the readout's warnings."""
    records = []
    power = {(p.metric, p.comparison): p for p in readout.power}
    srm = readout.srm
    for kind, estimates in (("primary", readout.estimates), ("guardrail", readout.guardrails)):
        for e in estimates:
            record = {"comparison": e.label, "kind": kind, **e.tidy()}
            record["n"] = {e.control_arm: e.n["control"], e.treatment_arm: e.n["treatment"]}
            record.update(_power_fields(power.get((e.metric, e.label))))
            record["srm_p_value"] = None if srm is None else srm.p_value
            record["srm_mismatch"] = None if srm is None else srm.mismatch
            record["warnings"] += readout.warnings
            record["warning_kinds"] += [w.kind for w in readout.warnings]
            if versions is not None:  # a stored study: the definitions' versions it used
                record["metric_version"] = (metric_versions or {}).get(e.metric)
                record.update(versions)
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


def _power_fields(row) -> dict:
    if row is None:  # guardrails: their test is the tolerance, not an MDE
        return {}
    return {
        "power": row.power,
        "mde": row.mde,
        "mde_variance": row.variance,
        "mde_sequential": row.sequential,
        "target_effect": row.target_effect,
        "units_needed": row.units_needed,
        "days_needed": row.days_needed,
    }


def _interval_name(record: dict) -> str:
    """ "95% CI", "98.3% CI (Holm-adjusted)", "95% always-valid CI": the words the pages use
    (analysis.verdict.interval_name), from a tidy record."""
    level = record.get("interval_level") or 1 - record["alpha"]
    kind = "always-valid CI" if record.get("always_valid_tuning_n") else "CI"
    method = record.get("correction_method") if record.get("correction") else None
    return f"{level * 100:.3g}% {kind}" + (f" ({method}-adjusted)" if method else "")


def _emit(
    readout: "Readout",
    as_json: bool,
    versions: dict | None = None,
    metric_versions: dict | None = None,
) -> None:
    records = _records(readout, versions, metric_versions)
    if as_json:
        emit_json(records)
        return
    if versions is not None:
        used = ", ".join(f"metric {m} v{v}" for m, v in (metric_versions or {}).items())
        typer.echo(f"Definitions: study v{versions['study_version']}, {used}")
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
            f"{r['effect'] * scale:+.4g}{unit} {_interval_name(r)} "
            f"[{r['ci_low'] * scale:+.4g}, {r['ci_high'] * scale:+.4g}]  "
            f"p={r['p_value']:.4f}  {r['method']}"
            + (f"  → {r['verdict']}" if r.get("verdict") else "")
        )
        if "mde" in r:
            needed = (
                f"; {r['units_needed']:,} units for {r['target_effect'] * scale:.4g}{unit}"
                if r["units_needed"]
                else ""
            )
            typer.echo(
                f"{'':<16} {'':<28} detectable at {r['power']:.0%} power: "
                f"{r['mde'] * scale:.4g}{unit} ({r['mde_variance']} variance{needed})"
            )
    if readout.srm is not None and not readout.srm.mismatch:  # a mismatch is a WARNING above
        typer.echo(f"Sample ratio check: {readout.srm.message()}")
