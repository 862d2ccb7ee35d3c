"""A Spark warehouse over the demo's facts for the parity tests (one per test session)."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

SPARK_TEST_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "false",  # tiny data: planning costs more than it saves
    "spark.sql.codegen.wholeStage": "false",  # and compiling each plan more than running it
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",  # nor each expression: interpret them
    "spark.sql.legacy.storeAnalyzedPlanForView": "true",  # not re-resolve the Parquet per query
    "spark.sql.autoBroadcastJoinThreshold": "-1",  # a broadcast is a job of its own
    # A short JVM's time is JIT warm-up: the quick compiler only, and the simplest collector
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
}


def skip_without_spark() -> None:
    if shutil.which("java") is None:
        pytest.skip(
            "Java is not installed: the Spark engine needs Java 17 (apt install openjdk-17-jre)"
        )
    pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'impact[spark]')")
    pytest.importorskip("sqlglot", reason="SQLGlot is not installed (pip install 'impact[spark]')")


def close(a, b, rel: float = 1e-9) -> bool:
    """Equal to `rel` relative (absolute near zero); NaN and None equal each other."""
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    if isinstance(a, (int, float, np.number)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=rel)
    return a == b


def assert_same(a, b, where: str = "") -> None:
    """Deep equality to 1e-9 relative of numbers in dataclasses, dicts, arrays, frames."""
    if hasattr(a, "__dataclass_fields__"):
        assert type(a) is type(b), where
        for name in a.__dataclass_fields__:
            assert_same(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-9, atol=1e-9, err_msg=where)
    elif isinstance(a, pd.DataFrame):
        assert list(a.columns) == list(b.columns), where
        assert len(a) == len(b), f"{where}: {len(a)} rows vs {len(b)}"
        for col in a.columns:
            for i, (x, y) in enumerate(zip(a[col], b[col], strict=True)):
                x, y = _plain(x), _plain(y)
                assert close(x, y), f"{where}[{col}][{i}]: {x!r} vs {y!r}"
    else:
        assert close(_plain(a), _plain(b)), f"{where}: {a!r} vs {b!r}"


def _plain(value):
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC") if value.tzinfo else value.tz_localize("UTC")
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
