"""Everything the board report says, gathered from impact.analysis into plain dataclasses.

The figures are the Overview's (`portfolio_total`), so the report, the page and
`impact overview` agree; html.py only formats what is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from impact.analysis.definitions import versions_used
from impact.analysis.health import model_health, version_comparison
from impact.analysis.portfolio_value import PortfolioLine, PortfolioTotal, portfolio_total
from impact.analysis.readiness import dataset_readiness, study_datasets
from impact.analysis.value import (
    StudyValue,
    current_assumptions,
    decision_assumptions,
    lookup_assumption,
)
from impact.analysis.verdict import MEANING, Headline, interval_name
from impact.errors import ImpactError
from impact.report.methods import methods_used
from impact.stats.evidence import ORDER, Finding
from impact.store import Store

REPRODUCE = "impact report --output DIR"


@dataclass(frozen=True)
class AssumptionUsed:
    name: str
    scope: str  # "" = every model
    value: float
    se: float
    unit: str
    version: int
    changed_by: str
    changed_at: datetime | None
    note: str


@dataclass(frozen=True)
class Verdict:
    study: str
    strength: str
    sentence: str  # the verdict without its grade
    checks: tuple[Finding, ...]
    reasons: tuple[str, ...]  # why it is below where the estimate put it
    notes: tuple[str, ...]
    versions: str  # the definitions the readout used, e.g. "study v1; revenue_28d v2"


@dataclass(frozen=True)
class MoneyLine:
    line: PortfolioLine
    interval: str  # how the interval is named: "97.5% CI, Holm-adjusted"
    conversion: str
    interval_method: str  # exact (known factors), delta method or simulation
    assumptions: tuple[AssumptionUsed, ...]
    roi: tuple[float, float, float] | None = None  # estimate, low, high
    payback_months: float | None = None
    realised: pd.DataFrame = field(default_factory=pd.DataFrame)  # day, value, low, high


@dataclass(frozen=True)
class ModelLine:
    model: str
    task: str
    version: str  # the latest
    predictions: int  # every version's
    label_coverage: float | None  # every version's predictions with a label
    quality: str  # the latest version's, e.g. "ROC AUC 0.72" or "MAE 3.1"
    alerts: tuple[str, ...]


@dataclass(frozen=True)
class DatasetLine:
    dataset: str
    kind: str
    passed: bool
    latest: datetime | None
    findings: tuple[str, ...]


@dataclass(frozen=True)
class ReportContent:
    title: str
    generated_at: datetime
    author: str
    total: PortfolioTotal
    verdicts: list[Verdict]
    money: list[MoneyLine]
    not_valued: list[tuple[str, str]]  # study, why
    models: list[ModelLine]
    datasets: list[DatasetLine]
    warnings: list[str]
    methods: list[str]
    reproduce: str = REPRODUCE

    @property
    def currency(self) -> str:
        return self.total.currency

    def by_strength(self) -> list[PortfolioLine]:
        """Money lines from the strongest evidence to the weakest."""
        return sorted(self.total.lines, key=lambda line: ORDER.index(line.strength))


def report_content(
    store: Store,
    *,
    author: str | None = None,
    now: datetime | None = None,
    total: PortfolioTotal | None = None,
) -> ReportContent:
    """`total` may be the caller's portfolio_total(store) (the Overview has it already)."""
    total = total or portfolio_total(store)
    values = {v.study: v.value for v in total.values if v.value is not None}
    history = _assumption_records(store)
    return ReportContent(
        "Impact board report",
        now or datetime.now(UTC),
        author or store.user,
        total,
        [_verdict(store, h) for h in total.verdicts],
        [_money(store, line, values.get(line.name), history) for line in total.lines],
        [(p.study, p.problem) for p in total.problems],
        _models(store),
        _datasets(store),
        _warnings(total),
        methods_used(total),
    )


def _verdict(store: Store, h: Headline) -> Verdict:
    e = h.evidence
    versions = ""
    study = store.catalog.find_study(h.study) if h.study else None
    if study is not None:
        metrics = [m for m in [study.primary_metric, *study.guardrail_metrics] if m]
        used = versions_used(store, study, metrics)
        versions = "; ".join(
            [f"study v{used['study_version']}"]
            + [f"{m} v{v}" for m, v in used["metric_versions"].items()]
        )
    return Verdict(
        h.study or h.text.split(":")[0],
        h.strength,
        h.text,
        e.findings if e else (),
        e.reasons if e else (),
        e.notes if e else (),
        versions,
    )


def _money(store: Store, line: PortfolioLine, value: StudyValue | None, history) -> MoneyLine:
    used = value.assumptions if value else _decision_assumptions(store, line.model)
    assumptions = tuple(
        AssumptionUsed(
            a.name, a.scope, a.value, a.se, a.unit, a.version, *history.get(_key(a), ("", None, ""))
        )
        for a in used
    )
    method = line.annual.details.get("money_interval", "exact (known factors)")
    if value is None:
        return MoneyLine(
            line,
            interval_name(line.annual),
            "value matrix (money per decision) × the latest version's confusion matrix",
            method,
            assumptions,
        )
    r = value.returns
    return MoneyLine(
        line,
        interval_name(value.annual),
        value.rate.explanation,
        method,
        assumptions,
        (r.roi, r.roi_low, r.roi_high) if r else None,
        r.payback_months if r else None,
        value.realised,
    )


def _decision_assumptions(store: Store, model: str):
    found = decision_assumptions(store, model)
    volume = lookup_assumption(current_assumptions(store), "yearly_volume", model)
    return (*found, volume) if volume else tuple(found)


def _key(a) -> tuple:
    return (a.name, a.scope, a.version)


def _assumption_records(store: Store) -> dict[tuple, tuple]:
    """Who changed each current assumption, when, and why (the catalog's versioned rows)."""
    return {
        (a.name, a.scope, a.version): (a.changed_by, a.changed_at, a.note)
        for a in store.catalog.assumptions()
    }


def _models(store: Store) -> list[ModelLine]:
    out = []
    for model in store.catalog.models():
        try:
            health = model_health(store, model.name, "week")
            versions = version_comparison(store, model.name)
        except ImpactError as exc:
            out.append(ModelLine(model.name, "", "", 0, None, f"no health figures ({exc})", ()))
            continue
        if versions.empty:
            continue
        latest = versions.sort_values("version").iloc[-1]
        out.append(
            ModelLine(
                model.name,
                health.task,
                str(latest["version"]),
                int(versions["n"].sum()),
                _share(versions["labeled"].sum(), versions["n"].sum()),
                _quality(latest),
                tuple(f"{a.version} {a.subject}: {a.message}" for a in health.alerts),
            )
        )
    return out


def _quality(row: pd.Series) -> str:
    for column, name in (("roc_auc", "ROC AUC"), ("mae", "MAE"), ("f1", "F1")):
        figure = _number(row.get(column))
        if figure is not None:
            return f"{name} {figure:.3g}"
    return "no labels yet"


def _share(part, whole) -> float | None:
    return float(part) / float(whole) if whole else None


def _number(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _datasets(store: Store) -> list[DatasetLine]:
    """Readiness of what the numbers come from: each study's datasets and every model's
    predictions (model health and decision value read them)."""
    used = {pair for s in store.catalog.studies() for pair in study_datasets(store, s)}
    used |= {(d.name, d.kind) for d in store.catalog.datasets() if d.kind == "predictions"}
    out = []
    for name, kind in sorted(used):
        r = dataset_readiness(store, name, kind)
        out.append(
            DatasetLine(name, kind, r.passed, r.latest, tuple(f.message for f in r.findings))
        )
    return out


def _warnings(total: PortfolioTotal) -> list[str]:
    said: list[str] = []
    for line in total.lines:
        for w in line.annual.warnings:
            if f"{line.name}: {w}" not in said:
                said.append(f"{line.name}: {w}")
    for h in total.verdicts:
        if h.evidence is None:
            said.append(h.text)
    return said


def strength_meaning(strength: str) -> str:
    return MEANING.get(strength, "")
