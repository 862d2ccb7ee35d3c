"""The layering ARCHITECTURE.md describes, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


def offending(path: Path, prefixes: tuple[str, ...]) -> set[str]:
    return {m for m in imports(path) if m.startswith(prefixes)}


@pytest.mark.parametrize("path", modules("pages", "impact/cli"), ids=str)
def test_pages_and_commands_read_through_the_analysis_layer(path):
    assert not offending(path, ("impact.queries", "impact.stats", "impact.warehouse", "duckdb"))


@pytest.mark.parametrize("path", modules("impact/stats", "impact/value", "impact/monitor"), ids=str)
def test_statistics_are_pure(path):
    banned = ("duckdb", "sqlmodel", "streamlit", "impact.queries", "impact.warehouse")
    assert not offending(path, (*banned, "impact.catalog", "impact.analysis"))


@pytest.mark.parametrize("path", modules("impact", "pages"), ids=str)
def test_one_package_per_database(path):
    inside = path.relative_to(ROOT).parts
    if inside[:2] != ("impact", "warehouse"):
        assert not offending(path, ("duckdb",))
    if inside[:2] != ("impact", "catalog"):
        assert not offending(path, ("sqlmodel", "sqlalchemy"))
    if path.name not in ("ui.py", "forms.py") and inside[0] == "impact":
        assert not offending(path, ("streamlit",))
