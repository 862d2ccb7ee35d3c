"""The queries' DuckDB SQL as Spark SQL: one definition of every reduction, two engines.

Each statement is parsed once by SQLGlot (cached by its text); its `$name` and `?`
parameters are replaced in the tree by literals of the bound values, so a value never
becomes SQL text by formatting, and the tree is written in Spark's dialect. Decimal
literals (`1.0`) become doubles: DuckDB computes with them as doubles, Spark would keep
exact decimals whose sums come back as Decimal and overflow their precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from impact.errors import InvalidInput


@dataclass(frozen=True)
class Statement:
    """A statement in Spark SQL; `temp_table` names the table a CREATE TEMP TABLE … AS
    fills (then `sql` is its query, which the engine materialises)."""

    sql: str
    temp_table: str | None = None


@lru_cache(maxsize=1024)
def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def to_spark(sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Statement:
    tree = _parse(sql).copy()
    tree = _bind(tree, params)
    for rewrite in (_doubles, _exact_percentiles, _utc, _epoch, _epoch_us):
        tree = tree.transform(rewrite)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE" and _temporary(tree):
        name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
        return Statement(tree.expression.sql(dialect="spark"), temp_table=name)
    return Statement(tree.sql(dialect="spark"))


def _temporary(create: exp.Create) -> bool:
    props = create.args.get("properties")
    return props is not None and any(
        isinstance(p, exp.TemporaryProperty) for p in props.expressions
    )


def _bind(tree: exp.Expression, params: Sequence[Any] | dict[str, Any] | None) -> exp.Expression:
    positional = list(params) if isinstance(params, (list, tuple)) else []
    named = params if isinstance(params, dict) else {}
    position = iter(range(len(positional) + 1))

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in ("", "?"):
            i = next(position)
            if i >= len(positional):
                raise InvalidInput("A statement has more ? parameters than values.")
            return literal(positional[i])
        if isinstance(node, (exp.Parameter, exp.Placeholder)):
            key = node.name if isinstance(node, exp.Placeholder) else node.this.name
            if key not in named:
                raise InvalidInput(f"No value was given for the SQL parameter ${key}.")
            return literal(named[key])
        return node

    return tree.transform(replace)


def literal(value: Any) -> exp.Expression:
    """A SQL literal of a Python value (strings are escaped by SQLGlot's writer)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(int(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
            return exp.cast(exp.Literal.string(text), "DOUBLE")
        return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise InvalidInput(f"A SQL parameter of type {type(value).__name__} cannot be bound.")


def _exact_percentiles(node: exp.Expression) -> exp.Expression:
    """percentile_cont(q) WITHIN GROUP (ORDER BY x) as Spark's exact percentile(x, q)
    (SQLGlot would write the approximate one)."""
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        column = node.expression.expressions[0].this
        return exp.Anonymous(this="percentile", expressions=[column, node.this.this])
    if (  # quantile_cont(x, q)
        isinstance(node, exp.PercentileCont)
        and node.expression is not None
        and not isinstance(node.parent, exp.WithinGroup)
    ):
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    return node


def _utc(node: exp.Expression) -> exp.Expression:
    """DuckDB's timezone('UTC', t): the instant as UTC wall time, which a Spark timestamp
    already is in the UTC session (impact.warehouse.spark sets it)."""
    if (
        isinstance(node, exp.Anonymous)
        and node.name.lower() == "timezone"
        and len(node.expressions) == 2
        and node.expressions[0].is_string
        and node.expressions[0].name.upper() == "UTC"
    ):
        return node.expressions[1]
    return node


def _epoch(node: exp.Expression) -> exp.Expression:
    """epoch(b - a), an interval's seconds with their fraction, from microseconds on Spark
    (whose unix_timestamp takes no interval)."""
    if isinstance(node, exp.TimeToUnix) and isinstance(node.this, exp.Sub):
        micros = [
            exp.Anonymous(this="unix_micros", expressions=[side.copy()])
            for side in (node.this.this, node.this.expression)
        ]
        difference = exp.Paren(this=exp.Sub(this=micros[0], expression=micros[1]))
        return exp.Div(this=difference, expression=exp.cast(exp.Literal.number(1e6), "DOUBLE"))
    return node


def _epoch_us(node: exp.Expression) -> exp.Expression:
    """DuckDB's epoch_us(t), an instant's microseconds since 1970, is Spark's unix_micros."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us":
        return exp.Anonymous(this="unix_micros", expressions=[e.copy() for e in node.expressions])
    return node


def _doubles(node: exp.Expression) -> exp.Expression:
    if (
        isinstance(node, exp.Literal)
        and not node.is_string
        and any(c in node.this for c in ".eE")
        and not isinstance(node.parent, exp.Cast)
    ):
        return exp.cast(exp.Literal.number(node.this), "DOUBLE")
    return node
