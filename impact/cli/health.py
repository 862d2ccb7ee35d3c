"""`impact health`: a model's technical health per version and period, with its alerts."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.
from datetime import UTC, datetime
from typing import Annotated

import pandas as pd
import typer

from impact.cli import command, emit_json
from impact.errors import InvalidInput

SUMMARY = {
    "n": "predictions",
    "latency_p99": "p99 ms",
    "fallback_share": "fell back",
    "label_coverage": "labelled",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "f1": "F1",
    "ece": "ECE",
    "brier": "Brier",
    "mae": "MAE",
    "rmse": "RMSE",
    "mape": "MAPE",
    "score_psi": "score PSI",
}


@command()
def health(
    model: Annotated[str, typer.Argument(help="A stored model's name.")],
    period: Annotated[
        str, typer.Option(help="day or week, for the tables; alerts are per week either way.")
    ] = "day",
    reference_start: Annotated[
        str | None,
        typer.Option(help="Start of the drift reference window (YYYY-MM-DD, UTC)."),
    ] = None,
    reference_end: Annotated[
        str | None,
        typer.Option(help="End of the reference window, exclusive (default: start + 28 days)."),
    ] = None,
    min_confidence: Annotated[
        float | None, typer.Option(help="Count scores below this as fallbacks.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Every table and the alerts as one JSON object.")
    ] = False,
) -> None:
    """Accuracy, calibration, drift and operations per version and period, and alerts.

    Alerts are evaluated per week whatever --period is, and drift is monitored only after
    the reference window (default: the model's first 28 days at most, and at most half of
    its data, ending on a Monday)."""
    from impact.analysis.health import (
        REFERENCE_DAYS,
        BadReference,
        model_health,
        version_comparison,
    )
    from impact.store import open_store

    reference = None
    if reference_start is not None:
        start = _date(reference_start, "--reference-start")
        end = (
            _date(reference_end, "--reference-end")
            if reference_end
            else start + pd.Timedelta(days=REFERENCE_DAYS)
        )
        reference = (start, end)
    elif reference_end is not None:
        raise InvalidInput("--reference-end needs --reference-start.")
    store = open_store()
    try:
        result = model_health(store, model, period, reference, min_confidence=min_confidence)
    except BadReference as exc:
        raise InvalidInput(f"{exc} Change --reference-start/--reference-end.") from None
    versions = version_comparison(store, model, reference, min_confidence=min_confidence)
    if as_json:
        from impact.analysis.value import decision_value_series

        payload = {
            "model": result.model,
            "task": result.task,
            "decision_threshold": result.threshold,
            "period": result.period,
            "alert_cadence": result.cadence,
            "reference": [t.isoformat() for t in result.reference],
            "monitored_from": result.monitored_from.isoformat(),
            "versions": versions,
            "operations": result.operations,
            "performance": result.performance,
            "calibration": result.calibration,
            "drift": result.drift,
            "alerts": result.alerts_frame(),
            "thresholds": result.thresholds.__dict__,
            "notes": list(result.notes),
            # Σ V·confusion per version and period, with the value matrix assumptions
            "decision_value": decision_value_series(store, model, result.performance)
            if result.task == "classification"
            else [],
        }
        emit_json(payload)
        return
    start, end = (t.date().isoformat() for t in result.reference)
    typer.echo(
        f"{result.model} ({result.task}, decision threshold {result.threshold:g}); "
        f"drift reference {start} to {end} (exclusive), drift monitored from "
        f"{result.monitored_from.date().isoformat()}; alerts evaluated per {result.cadence}."
    )
    shown = {k: v for k, v in SUMMARY.items() if k in versions.columns}
    table = versions[["version", *shown]].rename(columns=shown)
    typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    typer.echo("")
    cadence = result.cadence
    if not result.alerts:
        typer.echo(f"No alerts in any {cadence} of any version.")
    for alert in result.alerts:
        first = pd.Timestamp(alert.first_period).date()
        typer.echo(
            f"ALERT {alert.kind:<11} {alert.version:<6} since the {cadence} of {first} "
            f"({alert.periods} × {cadence}): {alert.message}"
        )
    for note in result.notes:
        typer.echo(f"Note: {note}")


def _date(text: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} takes a date such as 2026-06-01; got {text!r}.") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
