"""A parsed definitions file checked against what is stored: every problem, with its place."""

from __future__ import annotations

import math
from dataclasses import dataclass

from impact.definitions.convert import study_settings
from impact.definitions.schema import AbSpec, Definitions, Problem, assumption_place
from impact.errors import InvalidInput


@dataclass(frozen=True)
class Stored:
    """What the file may refer to besides itself."""

    columns: dict[str, set[str]]  # outcomes dataset → its metric columns
    arms: dict[str, set[str]]  # experiment → the arms its assignments hold
    rollouts: set[str]  # rollout studies with rows
    segments: set[str]  # unit segments (rollouts may cluster by one)
    metrics: set[str]  # metric names defined in the catalog
    models: set[str]
    assumptions: set[tuple[str, str]]  # (name, scope) set in the catalog


def check(found: Definitions, stored: Stored) -> list[Problem]:
    problems: list[Problem] = []
    _metrics(found, stored, problems)
    _studies(found, stored, problems)
    _assumptions(found, stored, problems)
    return problems


def _listed(names: set[str] | list[str]) -> str:
    return ", ".join(sorted(names)) or "none yet"


def _metrics(found: Definitions, stored: Stored, problems: list[Problem]) -> None:
    rates = {name for name, scope in stored.assumptions} | {n for n, _ in found.assumptions}
    for name, m in found.metrics.items():
        place = f"metrics.{name}"
        columns = stored.columns.get(m.dataset)
        if columns is None:
            problems.append(
                Problem(
                    f"{place}.dataset",
                    f"no outcomes dataset {m.dataset!r} is stored (stored: "
                    f"{_listed(set(stored.columns))}); ingest it first with "
                    f"`impact ingest FILE --kind outcomes --dataset {m.dataset}`.",
                )
            )
        else:
            for key in ("column", "denominator"):
                column = getattr(m, key)
                if column and column not in columns:
                    problems.append(
                        Problem(
                            f"{place}.{key}",
                            f"dataset {m.dataset!r} has no column {column!r}; its columns: "
                            f"{_listed(columns)}.",
                        )
                    )
        if m.aggregation == "ratio" and not m.denominator:
            problems.append(
                Problem(
                    f"{place}.denominator",
                    "a ratio metric needs a denominator column (Σcolumn / Σdenominator).",
                )
            )
        if m.denominator and m.aggregation != "ratio":
            problems.append(
                Problem(
                    f"{place}.denominator",
                    f"only ratio metrics take a denominator; set aggregation: ratio or remove "
                    f"it (aggregation is {m.aggregation}).",
                )
            )
        if not math.isfinite(m.value_per_unit):
            problems.append(Problem(f"{place}.value_per_unit", "must be a finite number."))
        if m.rate and m.rate not in rates:
            problems.append(
                Problem(
                    f"{place}.rate",
                    f"no assumption {m.rate!r} is set; add it under assumptions (e.g. "
                    f"{m.rate}: {{value: 48, unit: USD/hour}}).",
                )
            )


def _metric_known(name: str, place: str, found: Definitions, stored: Stored, out: list) -> None:
    known = set(found.metrics) | stored.metrics
    if name not in known:
        out.append(Problem(place, f"no metric {name!r} is defined; known: {_listed(known)}."))


def _studies(found: Definitions, stored: Stored, problems: list[Problem]) -> None:
    for name, s in found.studies.items():
        place = f"studies.{name}"
        try:
            study_settings(s)
        except InvalidInput as exc:
            problems.append(Problem(place, str(exc)))
        if s.start and s.end and s.end < s.start:
            problems.append(Problem(f"{place}.end", "is before start."))
        if isinstance(s, AbSpec):
            _experiment(name, s, found, stored, problems)
            continue
        if s.metric:
            _metric_known(s.metric, f"{place}.metric", found, stored, problems)
            m = found.metrics.get(s.metric)
            if m is not None and m.aggregation == "ratio":
                problems.append(
                    Problem(f"{place}.metric", "rollouts take sum, mean or proportion metrics.")
                )
        if s.cluster != "unit" and s.cluster not in stored.segments:
            problems.append(
                Problem(
                    f"{place}.cluster",
                    f"is 'unit' or a stored unit segment; no segment {s.cluster!r} (stored: "
                    f"{_listed(stored.segments)}).",
                )
            )
        if s.model and s.model not in stored.models:
            problems.append(Problem(f"{place}.model", f"no model {s.model!r} is stored."))


def _experiment(
    name: str, s: AbSpec, found: Definitions, stored: Stored, problems: list[Problem]
) -> None:
    place = f"studies.{name}"
    assigned = stored.arms.get(name)
    if assigned is not None:
        for arm in s.arms:
            if arm not in assigned:
                problems.append(
                    Problem(
                        f"{place}.arms",
                        f"no unit of experiment {name!r} is assigned to arm {arm!r}; its "
                        f"assignments hold {_listed(assigned)}.",
                    )
                )
        missing = assigned - set(s.arms)
        if missing:
            problems.append(
                Problem(f"{place}.arms", f"leaves out the assigned arm(s) {_listed(missing)}.")
            )
    if s.arms and s.control_arm not in s.arms:
        problems.append(
            Problem(
                f"{place}.control_arm",
                f"{s.control_arm!r} is not one of the arms ({', '.join(s.arms)}).",
            )
        )
    if s.planned_split:
        odd = set(s.planned_split) ^ set(s.arms)
        if odd:
            problems.append(
                Problem(
                    f"{place}.planned_split",
                    f"names exactly the arms ({', '.join(s.arms)}); differs in {_listed(odd)}.",
                )
            )
        total = sum(s.planned_split.values())
        if any(v <= 0 for v in s.planned_split.values()) or not math.isclose(
            total, 1.0, abs_tol=1e-6
        ):
            problems.append(
                Problem(
                    f"{place}.planned_split", f"shares are positive and add to 1; got {total:g}."
                )
            )
    if s.window_days <= 0:
        problems.append(Problem(f"{place}.window_days", "must be a positive number of days."))
    for key, names in (
        ("primary_metric", [s.primary_metric] if s.primary_metric else []),
        ("secondary_metrics", s.secondary_metrics),
        ("targets", list(s.targets)),
    ):
        for metric in names:
            where = f"{place}.{key}" + (f".{metric}" if key == "targets" else "")
            _metric_known(metric, where, found, stored, problems)
    for metric, tolerance in s.guardrails.items():
        where = f"{place}.guardrails.{metric}"
        _metric_known(metric, where, found, stored, problems)
        if tolerance is None:
            problems.append(
                Problem(
                    where,
                    f"needs its tolerated degradation, e.g. {metric}: 0.01 (in metric units; "
                    "0 tolerates none).",
                )
            )
        elif tolerance < 0 or not math.isfinite(tolerance):
            problems.append(Problem(where, f"a tolerance is a number ≥ 0; got {tolerance!r}."))
    if s.model and s.model not in stored.models:
        problems.append(Problem(f"{place}.model", f"no model {s.model!r} is stored."))


def _assumptions(found: Definitions, stored: Stored, problems: list[Problem]) -> None:
    from impact.analysis.assumptions import UNCERTAIN_OK

    rates = {m.rate for m in found.metrics.values() if m.rate}
    models = {scope for _, scope in found.assumptions if scope} | set(found.matrices)
    for model in sorted(models - stored.models):
        problems.append(
            Problem(
                f"assumptions.models.{model}",
                f"no model {model!r} is stored (stored: {_listed(stored.models)}); ingest its "
                "predictions first.",
            )
        )
    for (name, scope), a in found.assumptions.items():
        place = assumption_place(name, scope)
        if not math.isfinite(a.value) or (a.value < 0 and not name.startswith("value_")):
            problems.append(Problem(f"{place}.value", f"must be a number ≥ 0; got {a.value!r}."))
        if a.se is not None and a.range is not None:
            problems.append(Problem(place, "give a standard error (se) or a range, not both."))
        if a.range is not None and not a.range[0] <= a.value <= a.range[1]:
            problems.append(
                Problem(
                    f"{place}.range",
                    f"is [low, high] around the value {a.value:g}; got {list(a.range)}.",
                )
            )
        if a.se is not None and (a.se < 0 or not math.isfinite(a.se)):
            problems.append(Problem(f"{place}.se", f"must be a number ≥ 0; got {a.se!r}."))
        uncertain = (a.se or a.range) and name not in {*UNCERTAIN_OK, *rates}
        if uncertain:
            problems.append(
                Problem(
                    place,
                    f"{name} is taken as known: only {', '.join(sorted({*UNCERTAIN_OK, *rates}))} "
                    "carry an uncertainty into the money; remove its se or range.",
                )
            )
