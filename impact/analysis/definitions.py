"""Definitions as code for the CLI and pages: define from a file, list, export.

A file is checked whole (its form, then every reference against what is stored) and every
problem is reported with its place in the file; only a file with none is applied, in one
catalog transaction, each change versioned and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from impact.catalog import ACTIONS
from impact.definitions import apply as plan_apply
from impact.definitions.export import read, to_yaml
from impact.definitions.schema import Problem, parse
from impact.definitions.validate import Stored, check
from impact.errors import InvalidInput
from impact.queries import definitions as q
from impact.store import Store


class BadDefinitions(InvalidInput):
    """A definitions file with problems; `problems` holds each with its place."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(
            f"{path} has {len(problems)} problem(s); nothing was changed. Fix them and run "
            f"`impact define {path}` again:\n{lines}"
        )


@dataclass(frozen=True)
class DefineResult:
    changes: list[plan_apply.Change]
    applied: bool  # False for a dry run

    def counts(self) -> dict[str, int]:
        out = {"created": 0, "changed": 0, "unchanged": 0}
        for c in self.changes:
            out[c.status] += 1
        return out


def stored_references(store: Store) -> Stored:
    catalog = store.catalog
    return Stored(
        columns=q.outcome_columns(store.warehouse),
        arms=q.experiment_arms(store.warehouse),
        rollouts=q.rollout_studies(store.warehouse),
        segments=q.unit_segments(store.warehouse),
        metrics={m.name for m in catalog.metrics()},
        models={m.name for m in catalog.models()},
        assumptions={(a.name, a.scope) for a in catalog.assumptions()},
    )


def define_file(store: Store, path: Path, *, dry_run: bool = False) -> DefineResult:
    """Check the file against what is stored and apply it (unless `dry_run`): all or
    nothing. Raises BadDefinitions listing every problem."""
    data, problems = read(path)
    if problems:
        raise BadDefinitions(path, problems)
    found, problems = parse(data)
    problems += check(found, stored_references(store))
    if problems:
        raise BadDefinitions(path, problems)
    changes = plan_apply.plan(found, plan_apply.current_state(store.catalog), Path(path).name)
    if dry_run:
        return DefineResult(changes, applied=False)
    store.authorize(*dict.fromkeys(ACTIONS[c.kind] for c in changes if c.write is not None))
    return DefineResult(plan_apply.apply(store.catalog, changes), applied=True)


def export_definitions(store: Store) -> str:
    """The catalog's metrics, studies and assumptions as a definitions file (YAML)."""
    return to_yaml(plan_apply.current_state(store.catalog))


def metric_table(store: Store) -> list[dict[str, Any]]:
    """Every defined metric with its version."""
    return [
        {**m.model_dump(exclude={"id"}), "version": m.version or 1} for m in store.catalog.metrics()
    ]


def study_table(store: Store) -> list[dict[str, Any]]:
    """Every study, its design and typed settings, with its version."""
    rows = []
    for s in store.catalog.studies():
        row = s.model_dump(exclude={"id", "settings"})
        rows.append({**row, "settings": s.options.to_json(), "version": s.version or 1})
    return rows


def versions_used(store: Store, study: Any, metrics: list[str]) -> dict[str, Any]:
    """The study's version and each metric's: what a readout names as its definitions."""
    defined = {m.name: m for m in store.catalog.metrics()}
    return {
        "study_version": study.version or 1,
        "metric_versions": {m: (defined[m].version or 1) for m in metrics if m in defined},
    }
