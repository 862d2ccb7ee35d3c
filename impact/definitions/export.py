"""The catalog's definitions written out as a definitions file, and such a file read in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from impact.definitions.schema import Definitions, Problem

HEADER = (
    "# Impact definitions: metrics, studies and value assumptions.\n"
    "# Apply with `impact define FILE` (add --dry-run to see what would change).\n"
)


def to_data(found: Definitions) -> dict[str, Any]:
    """Plain data in the file's layout; keys left at None are omitted."""
    metrics = {n: m.model_dump(mode="json", exclude_none=True) for n, m in found.metrics.items()}
    studies = {}
    for name, s in found.studies.items():
        dumped = s.model_dump(mode="json", exclude_none=True)
        studies[name] = {"kind": dumped.pop("kind"), **dumped}
    assumptions: dict[str, Any] = {}
    if found.currency:
        assumptions["currency"] = found.currency
    models: dict[str, dict[str, Any]] = {}
    for (name, scope), a in sorted(found.assumptions.items()):
        dumped = a.model_dump(mode="json", exclude_none=True)
        target = models.setdefault(scope, {}) if scope else assumptions
        target[name] = dumped
    for model, matrix in sorted(found.matrices.items()):
        models.setdefault(model, {})["value_matrix"] = matrix.model_dump(mode="json")
    if models:
        assumptions["models"] = dict(sorted(models.items()))
    return {"metrics": metrics, "studies": studies, "assumptions": assumptions}


def to_yaml(found: Definitions) -> str:
    body = yaml.safe_dump(to_data(found), sort_keys=False, allow_unicode=True, width=88)
    return HEADER + body


def read(path: Path) -> tuple[Any, list[Problem]]:
    """The file's data, or the problem that kept it from being read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), f"cannot be read: {exc}")]
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(where, f"is not valid YAML: {what}.")]
