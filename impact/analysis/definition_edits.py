"""One metric or study edited in a form: checked by the same rules as a definitions file,
shown as old → new with what it will alter on the Overview, saved as a new version.

A form starts from `current_metric` / `current_study` (the stored definition in the file's
terms, or a new one's defaults), the page builds the edited spec, `propose_*` checks it
against what is stored and plans the change, and `save` applies it (the catalog checks the
role and audits it; an unchanged save makes no version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from impact.analysis.definitions import Stored, stored_references
from impact.definitions import apply as plan_apply
from impact.definitions.schema import (
    AbSpec,
    Definitions,
    MetricSpec,
    Problem,
    RolloutSpec,
    StudySpec,
)
from impact.definitions.validate import check
from impact.errors import InvalidInput
from impact.store import Store

# A form's fields, named as the form labels them (problems are worded with these).
LABELS = {
    "dataset": "Dataset",
    "column": "Column",
    "denominator": "Denominator",
    "aggregation": "Aggregation",
    "direction": "Better when",
    "kind": "Kind of value",
    "unit": "Unit",
    "value_per_unit": "Money per unit",
    "rate": "Rate assumption",
    "owner": "Owner",
    "description": "Description",
    "arms": "Arms",
    "control_arm": "Control arm",
    "planned_split": "Planned split",
    "window_days": "Analysis window (days)",
    "primary_metric": "Primary metric",
    "guardrails": "Guardrails",
    "secondary_metrics": "Secondary metrics",
    "targets": "Target effect",
    "alpha": "Significance level",
    "correction": "Multiple-comparison correction",
    "sequential": "Always-valid intervals",
    "tuning_n": "Always-valid: tightest at",
    "relative": "Relative lift",
    "cuped": "CUPED",
    "power": "Power level",
    "pairwise": "Pairwise comparisons",
    "cap": "Cap outliers",
    "metric": "Metric",
    "period": "Period",
    "cluster": "Cluster by",
    "control_group": "Control group",
    "estimator": "Estimator",
    "leads": "Leads",
    "lags": "Lags",
    "aggregate": "Aggregate effects",
    "model": "Model",
    "start": "Start",
    "end": "End",
}
# Which Overview figures a field feeds. Owner and description feed none; the money fields
# feed the verdict too, through the effect that would pay the running cost (its power check).
_METRIC_QUIET = {"owner", "description"}
_METRIC_MONEY = {"dataset", "column", "denominator", "aggregation", "direction", "unit"} | {
    "kind",
    "value_per_unit",
    "rate",
}
_STUDY_QUIET = {"description", "model"}


@dataclass(frozen=True)
class Proposal:
    kind: str  # "metric" or "study"
    name: str
    change: plan_apply.Change  # status and old → new per field
    problems: list[str] = field(default_factory=list)  # worded for the form
    figures: list[str] = field(default_factory=list)  # Overview figures the change alters

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unchanged(self) -> bool:
        return self.change.status == "unchanged"

    def effect(self) -> str:
        """What saving will alter, in one sentence."""
        if self.unchanged:
            return "Nothing would change: this is the stored definition."
        n = len(self.figures)
        if n == 0:
            return "Changes no figure on the Overview."
        listed = "; ".join(self.figures)
        return f"Changes {n} figure{'s' if n != 1 else ''} on the Overview: {listed}."

    def rows(self) -> list[dict[str, str]]:
        """Each changed field, old → new, for a table."""
        return [
            {"field": LABELS.get(k, k), "now": _shown(old), "after saving": _shown(new)}
            for k, (old, new) in self.change.fields.items()
        ]


def _shown(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Choices:
    """What a form may pick from: stored outcome columns, unit segments, metrics, rates."""

    columns: dict[str, list[str]]  # outcomes dataset → its metric columns
    segments: list[str]
    metrics: list[str]
    rates: list[str]  # assumption names a metric may multiply by
    metric_datasets: dict[str, str] = field(default_factory=dict)  # metric → its dataset
    unfinished: dict[str, str] = field(default_factory=dict)  # study → kind, no metric yet
    study_kinds: dict[str, str] = field(default_factory=dict)  # study → ab or did


def choices(store: Store) -> Choices:
    refs = stored_references(store)
    studies = store.catalog.studies()
    return Choices(
        columns={d: sorted(c) for d, c in sorted(refs.columns.items()) if c},
        segments=sorted(refs.segments),
        metrics=sorted(refs.metrics),
        rates=sorted({name for name, _ in refs.assumptions if name != "currency"}),
        metric_datasets={m.name: m.dataset for m in store.catalog.metrics()},
        unfinished={s.name: s.kind for s in studies if not s.primary_metric},
        study_kinds={s.name: s.kind for s in studies},
    )


def current_metric(store: Store, name: str | None) -> MetricSpec | None:
    """The stored metric in the file's terms; None for a new one."""
    if not name:
        return None
    return plan_apply.current_state(store.catalog).metrics.get(name)


def current_study(store: Store, name: str) -> StudySpec | None:
    return plan_apply.current_state(store.catalog).studies.get(name)


def new_metric(dataset: str, column: str) -> MetricSpec:
    """A new metric's defaults (the catalog's), on a stored column."""
    return MetricSpec(dataset=dataset, column=column)


def edited(spec: Any, **changes: Any) -> Any:
    """The spec with `changes`, validated (a bad value raises InvalidInput naming the field)."""
    data = {**spec.model_dump(), **changes}
    try:
        return type(spec).model_validate(data)
    except Exception as exc:  # pydantic's ValidationError, worded for the form
        errors = getattr(exc, "errors", lambda: [])()
        where = ", ".join(LABELS.get(str(e["loc"][0]), str(e["loc"][0])) for e in errors)
        raise InvalidInput(f"{where or 'A field'} has a value that cannot be used: {exc}") from exc


Counted = Callable[[], set[str]]  # the lines the portfolio total counts as sure


def counted_lines(store: Store) -> set[str]:
    """Names of the money lines the portfolio total adds up (not harmful or unreliable)."""
    from impact.analysis.portfolio_value import portfolio_total

    return {line.name for line in portfolio_total(store).lines if line.sure}


def propose_metric(
    store: Store,
    name: str,
    spec: MetricSpec,
    counted: Counted | None = None,
    stored: Callable[[], Stored] | None = None,
) -> Proposal:
    """`counted` (default: computed) tells which studies' money is in the total, and
    `stored` what the warehouse and catalog hold (scans of the fact tables); a page passes
    its cached answers."""
    name = name.strip()
    found = Definitions(metrics={name: spec})
    problems = _problems(found, store, name, stored)
    if not name:
        problems.insert(0, "Name: give the metric a name.")
    change = _plan(found, store)
    figures = _metric_figures(store, name, change, counted or (lambda: counted_lines(store)))
    return Proposal("metric", name, change, problems, figures)


def propose_study(
    store: Store,
    name: str,
    spec: StudySpec,
    counted: Counted | None = None,
    stored: Callable[[], Stored] | None = None,
) -> Proposal:
    found = Definitions(studies={name: spec})
    change = _plan(found, store)
    figures = _study_figures(store, name, change, counted or (lambda: counted_lines(store)))
    return Proposal("study", name, change, _problems(found, store, name, stored), figures)


def save(store: Store, proposal: Proposal) -> plan_apply.Change:
    """Apply a checked proposal (the catalog checks the role, versions and audits it)."""
    if proposal.problems:
        raise InvalidInput("Fix these first: " + " ".join(proposal.problems))
    if proposal.unchanged:
        return proposal.change
    [saved] = plan_apply.apply(store.catalog, [proposal.change])
    return saved


def _plan(found: Definitions, store: Store) -> plan_apply.Change:
    [change] = plan_apply.plan(found, plan_apply.current_state(store.catalog), "app form")
    return change


def _problems(
    found: Definitions, store: Store, name: str, stored: Callable[[], Stored] | None = None
) -> list[str]:
    refs = stored() if stored is not None else stored_references(store)
    return [_worded(p, name) for p in check(found, refs)]


def _worded(problem: Problem, name: str) -> str:
    """`metrics.revenue.column: …` → `Column: …` (the form's label, not the file's key)."""
    parts = problem.place.split(".")
    key = parts[2] if len(parts) > 2 else ""
    label = LABELS.get(key, key.replace("_", " ").capitalize() or name)
    detail = f" ({'.'.join(parts[3:])})" if len(parts) > 3 else ""
    return f"{label}{detail}: {problem.message}"


TILES = {
    "revenue": "Revenue per year",
    "cost": "Cost avoided per year",
    "time": "Time saved per year",
}


def _value_kind(store: Store, metric: str) -> str | None:
    """The metric's kind of value when it turns into money (None: a count, or unknown)."""
    m = next((d for d in store.catalog.metrics() if d.name == metric), None)
    return m.value_kind if m is not None and m.value_kind in TILES else None


def _totals(kinds: list[str | None], studies: list[str], counted: Counted) -> list[str]:
    """The total and its tiles, when one of `studies` is counted in them."""
    tiles = [f"the {TILES[k]} tile" for k in dict.fromkeys(kinds) if k]
    if not tiles or not set(studies) & counted():
        return []
    return ["the portfolio's value per year", *tiles]


def _study_figures_for(study: str, verdict: bool, money: bool) -> list[str]:
    out = []
    if verdict:
        out.append(f"{study}'s verdict")
    if money:
        out.append(f"{study}'s value per year")
    return out


def _metric_figures(
    store: Store, name: str, change: plan_apply.Change, counted: Counted
) -> list[str]:
    keys = set(change.fields)
    old_kind = _value_kind(store, name)
    new_kind = change.fields.get("kind", (None, old_kind))[1]
    kinds = [old_kind, new_kind if new_kind in TILES else None]
    figures: list[str] = []
    valued: list[str] = []
    for s in store.catalog.studies():
        if s.primary_metric == name:
            money = bool(keys & _METRIC_MONEY) and any(kinds)
            figures += _study_figures_for(s.name, bool(keys - _METRIC_QUIET), money)
            valued += [s.name] if money else []
        elif name in s.guardrail_metrics and keys - _METRIC_QUIET - {"kind", "rate"}:
            figures.append(f"{s.name}'s verdict (a guardrail)")
    return figures + (_totals(kinds, valued, counted) if valued else [])


def _study_figures(
    store: Store, name: str, change: plan_apply.Change, counted: Counted
) -> list[str]:
    keys = set(change.fields) - _STUDY_QUIET
    if not keys:
        return []
    stored = store.catalog.find_study(name)
    kinds = []
    for key in ("primary_metric", "metric"):
        if key in change.fields:
            kinds += [_value_kind(store, m) for m in change.fields[key] if m]
    if not kinds and stored is not None and stored.primary_metric:
        kinds = [_value_kind(store, stored.primary_metric)]
    if not any(kinds) and not (stored and stored.primary_metric) and "primary_metric" not in keys:
        return [] if "metric" not in keys else [f"{name}'s verdict"]
    only_verdict = keys <= {"guardrails", "secondary_metrics", "targets", "power"}
    money = not only_verdict and any(kinds)
    totals = _totals(kinds, [name], counted) if money else []
    return _study_figures_for(name, True, money) + totals


def history(store: Store, kind: str, name: str) -> list[dict[str, Any]]:
    """Every version of a metric or study, newest first: who, when and what changed."""
    versions = store.catalog.definition_history(kind, name)
    rows, previous = [], None
    for v in versions:
        now = _flat(v.definition)
        changed = (
            "created"
            if previous is None
            else "; ".join(
                f"{k}: {_shown(previous.get(k))} → {_shown(now.get(k))}"
                for k in dict.fromkeys([*previous, *now])
                if previous.get(k) != now.get(k)
            )
            or "no field changed"
        )
        rows.append(
            {
                "version": v.version,
                "changed by": v.changed_by or "–",
                "changed at": _utc(v.changed_at),
                "what changed": changed,
            }
        )
        previous = now
    return rows[::-1]


def _flat(definition: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted keys (settings.readout.alpha), so a change names its field."""
    out: dict[str, Any] = {}
    for k, v in definition.items():
        if isinstance(v, dict) and k in ("settings", "readout", "rollout"):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


__all__ = [
    "AbSpec",
    "LABELS",
    "MetricSpec",
    "Choices",
    "Proposal",
    "RolloutSpec",
    "choices",
    "current_metric",
    "current_study",
    "edited",
    "history",
    "new_metric",
    "propose_metric",
    "propose_study",
    "save",
]
