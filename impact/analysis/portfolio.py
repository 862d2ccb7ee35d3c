"""Portfolio questions: what is stored, which models and studies exist, how they are doing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from impact.catalog import Study
from impact.queries import portfolio as q
from impact.store import Store
from impact.vocabulary import StudyKind


@dataclass(frozen=True)
class Portfolio:
    counts: dict[str, int]
    models: pd.DataFrame  # per model: predictions, versions, latest version, labels …
    studies: pd.DataFrame  # name, kind, model, primary metric, units
    weekly_predictions: pd.DataFrame
    recent_uploads: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.counts["uploads"] == 0


def portfolio(store: Store) -> Portfolio:
    counts = q.fact_counts(store.warehouse)
    counts.update(models=len(store.catalog.models()), studies=len(store.catalog.studies()))
    models = q.model_activity(store.warehouse)
    described = {m.name: m.description for m in store.catalog.models()}
    models.insert(1, "description", models["model"].map(described).fillna(""))
    return Portfolio(
        counts,
        models,
        study_table(store),
        q.weekly_predictions(store.warehouse),
        dataset_table(store).head(5),
    )


def data_span(store: Store) -> tuple[date, date] | None:
    """First and last day with facts (UTC), the sidebar's default date range."""
    first, last = q.time_span(store.warehouse)
    if first is None:
        return None
    return pd.Timestamp(first).tz_convert("UTC").date(), pd.Timestamp(last).tz_convert("UTC").date()


def studies(store: Store, kind: StudyKind | None = None) -> list[Study]:
    """Stored studies by name; `kind` "ab" or "did" keeps one kind."""
    return store.catalog.studies(kind)


def model_names(store: Store) -> list[str]:
    """Models in the catalog, by name."""
    return [m.name for m in store.catalog.models()]


def study(store: Store, name: str) -> Study:
    """One study, its typed settings at `.options`; NotFound lists the known ones."""
    return store.catalog.study(name)


def study_table(store: Store) -> pd.DataFrame:
    rows = [
        {
            "study": s.name,
            "kind": "A/B test" if s.kind == "ab" else "rollout",
            "model": s.model,
            "primary metric": s.primary_metric or "",
            "arms": ", ".join(s.arms),
            "description": s.description,
        }
        for s in store.catalog.studies()
    ]
    return pd.DataFrame(
        rows, columns=["study", "kind", "model", "primary metric", "arms", "description"]
    )


def uploads(store: Store) -> list[dict]:
    """Every upload, newest first: id, name, kind, file, rows, checksum, when, who, mapping."""
    return [
        {
            "id": d.id,
            "name": d.name,
            "kind": d.kind,
            "file_name": d.file_name,
            "rows": d.rows,
            "checksum": d.checksum,
            "uploaded_at": d.uploaded_at,
            "uploaded_by": d.uploaded_by,
            "mapping": d.mapping,
        }
        for d in store.catalog.datasets()
    ]


def dataset_table(store: Store) -> pd.DataFrame:
    """Every upload: name, kind, rows, checksum, when and who, newest first."""
    rows = [
        {
            "dataset": u["name"],
            "kind": u["kind"],
            "file": u["file_name"],
            "rows": u["rows"],
            "checksum": u["checksum"][:12],
            "uploaded_at": u["uploaded_at"],
            "uploaded_by": u["uploaded_by"],
            "id": u["id"],
        }
        for u in uploads(store)
    ]
    return pd.DataFrame(
        rows,
        columns=["dataset", "kind", "file", "rows", "checksum", "uploaded_at", "uploaded_by", "id"],
    )


def upload_dependents(store: Store, dataset_id: str) -> list[str]:
    """What depends on one upload (studies, metrics), in sentences; empty if nothing."""
    from impact.ingest import dependents

    dataset = next((d for d in store.catalog.datasets() if d.id == dataset_id), None)
    return dependents(store, dataset) if dataset else []


def metric_units(store: Store, *, currency_code: bool = False) -> dict[str, str]:
    """Each metric's unit (currency, minutes, …), for effects shown with their unit; with
    `currency_code`, "currency" reads as the portfolio's currency (USD)."""
    code = next(
        (a.text for a in store.catalog.assumptions() if a.name == "currency" and a.text), "USD"
    )
    return {
        m.name: code if currency_code and m.unit == "currency" else m.unit
        for m in store.catalog.metrics()
    }


def metric_table(store: Store) -> pd.DataFrame:
    rows = [
        {
            "metric": m.name,
            "dataset": m.dataset,
            "column": m.column,
            "aggregation": m.aggregation,
            "direction": f"{m.direction} is better",
            "value kind": m.value_kind,
            "unit": m.unit,
            "value per unit": m.value_per_unit,
            "rate assumption": m.rate_assumption or "",
            "owner": m.owner,
            "description": m.description,
            "version": m.version or 1,
        }
        for m in store.catalog.metrics()
    ]
    return pd.DataFrame(rows)


def assumption_table(store: Store) -> pd.DataFrame:
    rows = [
        {
            "assumption": a.name,
            "scope": a.scope or "all models",
            "value": a.text if a.text is not None else f"{a.value:,.2f}",
            "standard error": f"{a.se:,.2f}" if a.se else "",
            "unit": a.unit,
            "version": a.version,
            "changed by": a.changed_by,
            "changed at": a.changed_at,
            "note": a.note,
        }
        for a in store.catalog.assumptions()
    ]
    return pd.DataFrame(rows)


def outcome_columns(store: Store) -> pd.DataFrame:
    return q.outcome_metrics(store.warehouse)


@dataclass(frozen=True)
class RolloutOverview:
    study: Study
    units: pd.DataFrame  # unit_id, treated_at
    trends: pd.DataFrame  # period, status, mean, rows, units
    metric: str | None

    @property
    def treated(self) -> int:
        return int(self.units["treated_at"].notna().sum())

    @property
    def never_treated(self) -> int:
        return int(self.units["treated_at"].isna().sum())

    @property
    def cohorts(self) -> int:
        return int(self.units["treated_at"].dropna().nunique())


def rollout_overview(store: Store, study_name: str) -> RolloutOverview:
    study = store.catalog.study(study_name)
    units = q.rollout_units(store.warehouse, study_name)
    metric = study.primary_metric
    trends = pd.DataFrame(columns=["period", "status", "mean", "rows", "units"])
    if metric:
        definition = store.catalog.metric(metric)
        trends = q.rollout_trends(
            store.warehouse, study_name, definition.dataset, definition.column, study.period
        )
    return RolloutOverview(study, units, trends, metric)


@dataclass(frozen=True)
class ModelOverview:
    name: str
    description: str
    threshold: float
    operations: pd.DataFrame  # per version
    weekly_scores: pd.DataFrame
    scores: pd.DataFrame  # score quartiles per `period` (day or week), column "period"

    @property
    def predictions(self) -> int:
        return int(self.operations["predictions"].sum())


def model_overview(store: Store, model: str, period: str = "week") -> ModelOverview:
    record = next((m for m in store.catalog.models() if m.name == model), None)
    weekly = q.weekly_scores(store.warehouse, model)
    return ModelOverview(
        model,
        record.description if record else "",
        record.decision_threshold if record else 0.5,
        q.model_operations(store.warehouse, model),
        weekly,
        weekly.rename(columns={"week": "period"})
        if period == "week"
        else q.score_quartiles(store.warehouse, model, period),
    )


def experiment_enrolment(store: Store, experiment: str) -> pd.DataFrame:
    return q.daily_assignments(store.warehouse, experiment)


def data_version(store: Store) -> str:
    """A key that changes whenever any process stores or removes an upload, or edits a
    study, metric or assumption."""
    return f"{q.data_version(store.warehouse)}|{store.catalog.revision()}"


def audit_table(store: Store, limit: int = 200) -> pd.DataFrame:
    """The newest changes first: when, who (with role), what, on which target."""
    rows = [
        {
            "when": e.at,
            "user": e.user,
            "role": e.role,
            "action": e.action.replace("_", " "),
            "target": e.target,
            "detail": ", ".join(
                f"{k}={v}"
                for k, v in e.detail.items()
                if k in ("rows", "kind", "file_name", "value", "scope", "version", "dataset_id")
            ),
        }
        for e in store.catalog.audit_log(limit)
    ]
    return pd.DataFrame(rows, columns=["when", "user", "role", "action", "target", "detail"])
