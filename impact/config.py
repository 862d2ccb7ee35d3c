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
USER_ENV = "IMPACT_USER"
ROLE_ENV = "IMPACT_ROLE"


@dataclass(frozen=True)
class Settings:
    warehouse_path: Path
    catalog_url: str
    upload_limit_mb: int
    row_limit: int
    user: str
    role: str  # the CLI's and local mode's role; signed-in app users get theirs mapped


def settings() -> Settings:
    """Read settings now (not at import), so tests and the CLI can point elsewhere."""
    data_dir = Path(os.environ.get(DATA_DIR_ENV, "data"))
    warehouse = Path(os.environ.get(WAREHOUSE_ENV, data_dir / "impact.duckdb"))
    catalog = os.environ.get(CATALOG_ENV, f"sqlite:///{data_dir / 'catalog.sqlite'}")
    limit = int(os.environ.get(UPLOAD_LIMIT_ENV, "1024"))
    user = os.environ.get(USER_ENV) or os.environ.get("USER") or "local"
    role = os.environ.get(ROLE_ENV, "admin")
    rows = int(os.environ.get(ROW_LIMIT_ENV, "100000000"))
    return Settings(warehouse, catalog, limit, rows, user, role)
