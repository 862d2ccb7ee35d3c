"""Where Impact keeps its data. Environment variables override every default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "IMPACT_DATA_DIR"
WAREHOUSE_ENV = "IMPACT_WAREHOUSE"
CATALOG_ENV = "IMPACT_CATALOG_URL"
UPLOAD_LIMIT_ENV = "IMPACT_UPLOAD_LIMIT_MB"
ROW_LIMIT_ENV = "IMPACT_ROW_LIMIT"
COLUMN_LIMIT_ENV = "IMPACT_COLUMN_LIMIT"
USER_ENV = "IMPACT_USER"
ROLE_ENV = "IMPACT_ROLE"
ENGINE_ENV = "IMPACT_ENGINE"  # duckdb (the default) or spark
SPARK_MASTER_ENV = "IMPACT_SPARK_MASTER"  # local[*], local[2] … or sc://host:15002
SPARK_SOURCES_ENV = "IMPACT_SPARK_SOURCES"  # the JSON file naming the facts' tables
SPARK_CONF_ENV = "IMPACT_SPARK_CONF"  # Spark settings, a JSON object (Delta's extensions …)
ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class Settings:
    warehouse_path: Path
    catalog_url: str
    upload_limit_mb: float
    row_limit: int
    user: str
    role: str  # the CLI's and local mode's role; signed-in app users get theirs mapped
    column_limit: int = 1000  # columns per upload, checked on the header before any row
    engine: str = "duckdb"
    spark_master: str = "local[*]"
    spark_sources: Path | None = None
    spark_conf: dict[str, str] | None = None


def settings() -> Settings:
    """Read settings now (not at import), so tests and the CLI can point elsewhere."""
    data_dir = Path(os.environ.get(DATA_DIR_ENV, "data"))
    warehouse = Path(os.environ.get(WAREHOUSE_ENV, data_dir / "impact.duckdb"))
    catalog = os.environ.get(CATALOG_ENV, f"sqlite:///{data_dir / 'catalog.sqlite'}")
    limit = _positive(UPLOAD_LIMIT_ENV, "1024", float, "a number of megabytes, e.g. 0.5 or 200")
    user = os.environ.get(USER_ENV) or os.environ.get("USER") or "local"
    role = os.environ.get(ROLE_ENV, "admin")
    rows = _positive(ROW_LIMIT_ENV, "100000000", int, "a whole number of rows, e.g. 5000000")
    columns = _positive(COLUMN_LIMIT_ENV, "1000", int, "a whole number of columns, e.g. 2000")
    engine = os.environ.get(ENGINE_ENV, "duckdb").strip().lower() or "duckdb"
    if engine not in ENGINES:
        from impact.errors import InvalidInput

        raise InvalidInput(
            f"{ENGINE_ENV}={engine!r} is not an engine Impact runs on; set it to duckdb (the "
            "default) or spark."
        )
    master = os.environ.get(SPARK_MASTER_ENV, "local[*]").strip() or "local[*]"
    sources = Path(os.environ.get(SPARK_SOURCES_ENV, data_dir / "spark-sources.json"))
    conf = _spark_conf()
    return Settings(
        warehouse, catalog, limit, rows, user, role, columns, engine, master, sources, conf
    )


def _spark_conf() -> dict[str, str] | None:
    """IMPACT_SPARK_CONF as {setting: value}, or InvalidInput saying how to write it."""
    import json

    text = os.environ.get(SPARK_CONF_ENV, "").strip()
    if not text:
        return None
    try:
        conf = json.loads(text)
    except ValueError:
        conf = None
    if not isinstance(conf, dict):
        from impact.errors import InvalidInput

        raise InvalidInput(
            f"{SPARK_CONF_ENV} must be a JSON object of Spark settings, e.g. "
            '{"spark.sql.shuffle.partitions": "4"}.'
        )
    return {str(k): str(v) for k, v in conf.items()}


def _positive(variable: str, default: str, kind: type, example: str) -> float | int:
    """The environment variable as a positive number, or InvalidInput naming it."""
    from impact.errors import InvalidInput

    text = os.environ.get(variable, default).strip().replace("_", "")
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not value > 0 or value != value or value == float("inf"):
        raise InvalidInput(
            f"{variable}={os.environ.get(variable)!r} is not {example} (above zero). Set it "
            f"to such a value, or unset it for the default ({default})."
        )
    return value
