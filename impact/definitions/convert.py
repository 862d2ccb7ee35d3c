"""The file's definitions ↔ catalog records, both ways, so that export then define is a no-op."""

from __future__ import annotations

from typing import Any

from impact.catalog import MetricDefinition, MetricDefinitionBase, Study, StudyBase, ValueAssumption
from impact.definitions.schema import (
    CELLS,
    AbSpec,
    AssumptionSpec,
    Definitions,
    MetricSpec,
    RolloutSpec,
    StudySpec,
    ValueMatrix,
)
from impact.options import ReadoutOptions, RolloutOptions, StudySettings


def metric_record(name: str, spec: MetricSpec) -> MetricDefinitionBase:
    return MetricDefinitionBase(
        name=name,
        dataset=spec.dataset,
        column=spec.column,
        denominator=spec.denominator,
        aggregation=spec.aggregation,
        direction=spec.direction,
        value_kind=spec.kind,
        unit=spec.unit,
        value_per_unit=spec.value_per_unit,
        rate_assumption=spec.rate,
        owner=spec.owner,
        description=spec.description,
    )


def metric_spec(m: MetricDefinition) -> MetricSpec:
    return MetricSpec(
        dataset=m.dataset,
        column=m.column,
        denominator=m.denominator,
        aggregation=m.aggregation,
        direction=m.direction,
        kind=m.value_kind,
        unit=m.unit,
        value_per_unit=m.value_per_unit,
        rate=m.rate_assumption,
        owner=m.owner,
        description=m.description,
    )


def study_settings(spec: StudySpec) -> StudySettings:
    """The typed settings a study spec means (raises InvalidInput on a bad value)."""
    if isinstance(spec, AbSpec):
        readout = ReadoutOptions(
            relative=spec.relative,
            cuped=spec.cuped,
            correction=spec.correction,
            sequential=spec.sequential,
            tuning_n=spec.tuning_n,
            alpha=spec.alpha,
            power=spec.power,
            pairwise=spec.pairwise,
            cap=spec.cap,
        )
        tolerance = {m: float(t) for m, t in spec.guardrails.items() if t is not None}
        rollout = RolloutOptions(alpha=spec.alpha)
        return StudySettings(readout, rollout, dict(spec.targets), tolerance)
    rollout = RolloutOptions(
        estimator=spec.estimator,
        control=spec.control_group,
        cluster=spec.cluster,
        alpha=spec.alpha,
        leads=spec.leads,
        lags=spec.lags,
        aggregate=spec.aggregate,
    )
    return StudySettings(ReadoutOptions(alpha=spec.alpha), rollout)


def study_record(name: str, spec: StudySpec) -> StudyBase:
    common: dict[str, Any] = dict(
        name=name,
        model=spec.model,
        description=spec.description,
        business_unit=spec.business_unit,
        unit=spec.unit,
        start=spec.start,
        end=spec.end,
        settings=study_settings(spec).to_json(),
    )
    if isinstance(spec, AbSpec):
        return StudyBase(
            kind="ab",
            arms=list(spec.arms),
            control_arm=spec.control_arm,
            planned_split=dict(spec.planned_split),
            analysis_window_days=spec.window_days,
            primary_metric=spec.primary_metric,
            guardrail_metrics=list(spec.guardrails),
            secondary_metrics=list(spec.secondary_metrics),
            **common,
        )
    return StudyBase(kind="did", primary_metric=spec.metric, period=spec.period, **common)


def study_spec(s: Study) -> StudySpec:
    options = s.options
    common: dict[str, Any] = dict(
        model=s.model,
        description=s.description,
        business_unit=s.business_unit,
        unit=s.unit,
        start=s.start,
        end=s.end,
    )
    if s.kind == "ab":
        r = options.readout
        return AbSpec(
            kind="ab",
            arms=list(s.arms),
            control_arm=s.control_arm,
            planned_split=dict(s.planned_split),
            window_days=s.analysis_window_days,
            primary_metric=s.primary_metric,
            # A guardrail stored without a tolerance is read with none tolerated (0).
            guardrails={m: options.guardrail_tolerance.get(m, 0.0) for m in s.guardrail_metrics},
            secondary_metrics=list(s.secondary_metrics),
            targets=dict(options.target_effect),
            alpha=r.alpha,
            correction=r.correction,
            sequential=r.sequential,
            tuning_n=r.tuning_n,
            relative=r.relative,
            cuped=r.cuped,
            power=r.power,
            pairwise=r.pairwise,
            cap=r.cap,
            **common,
        )
    o = options.rollout
    return RolloutSpec(
        kind="rollout",
        metric=s.primary_metric,
        period=s.period,
        cluster=o.cluster,
        control_group=o.control,
        estimator=o.estimator,
        alpha=o.alpha,
        leads=o.leads,
        lags=o.lags,
        aggregate=o.aggregate,
        **common,
    )


def assumption_rows(found: Definitions) -> dict[tuple[str, str], dict[str, Any]]:
    """Every assumption the file sets, as the catalog stores it (a range becomes its se)."""
    from impact.analysis.assumptions import RANGE_Z

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    if found.currency is not None:
        rows[("currency", "")] = dict(name="currency", scope="", text=found.currency)
    for (name, scope), a in found.assumptions.items():
        se = (a.range[1] - a.range[0]) / (2 * RANGE_Z) if a.range else a.se
        rows[(name, scope)] = dict(
            name=name, scope=scope, value=float(a.value), se=se or None, unit=a.unit, note=a.note
        )
    for model, matrix in found.matrices.items():
        for cell in CELLS:
            name = f"value_{cell}"
            rows[(name, model)] = dict(
                name=name,
                scope=model,
                value=float(getattr(matrix, cell)),
                se=None,
                unit=matrix.unit,
                note=matrix.note,
            )
    for row in rows.values():
        for key, default in (("value", None), ("se", None), ("text", None)):
            row.setdefault(key, default)
        row.setdefault("unit", "")
        row.setdefault("note", "")
    return rows


def stored_definitions(
    metrics: list[MetricDefinition], studies: list[Study], assumptions: list[ValueAssumption]
) -> Definitions:
    """The catalog's current state in the file's terms."""
    found = Definitions(
        metrics={m.name: metric_spec(m) for m in metrics},
        studies={s.name: study_spec(s) for s in studies},
    )
    by_key = {(a.name, a.scope): a for a in assumptions}
    for (name, scope), a in sorted(by_key.items()):
        if name == "currency" and not scope and a.text:
            found.currency = a.text
            continue
        cells = [by_key.get((f"value_{c}", scope)) for c in CELLS]
        if scope and name.startswith("value_") and all(cells):
            if scope not in found.matrices and len({(c.unit, c.note) for c in cells}) == 1:
                found.matrices[scope] = ValueMatrix(
                    **{c: cell.value for c, cell in zip(CELLS, cells, strict=True)},
                    unit=cells[0].unit,
                    note=cells[0].note,
                )
            if scope in found.matrices:
                continue
        if a.value is None:
            continue
        found.assumptions[(name, scope)] = AssumptionSpec(
            value=a.value, unit=a.unit, se=a.se, note=a.note
        )
    return found
