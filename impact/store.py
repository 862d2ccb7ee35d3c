"""The pair of databases every operation works on: facts (DuckDB) and catalog (SQLModel)."""

from __future__ import annotations

from dataclasses import dataclass

from impact.catalog import Catalog
from impact.config import Settings, settings
from impact.warehouse import Warehouse


@dataclass(frozen=True)
class Store:
    warehouse: Warehouse
    catalog: Catalog
    user: str = "local"
    role: str = "admin"  # local single-user mode; the app maps signed-in users to roles

    def __post_init__(self) -> None:
        # The catalog checks roles on every write, so it acts as this store's user (also
        # after dataclasses.replace(store, role=...)).
        if (self.catalog.user, self.catalog.role) != (self.user, self.role):
            object.__setattr__(self, "catalog", self.catalog.acting_as(self.user, self.role))

    def authorize(self, *actions: str) -> None:
        """Refuse (PermissionDenied) unless the role allows every one of `actions`."""
        from impact.access import authorize_all

        authorize_all(self.user, self.role, actions)

    def audit(self, action: str, target: str, **detail) -> None:
        self.catalog.audit(self.user, self.role, action, target, detail)


def open_store(config: Settings | None = None) -> Store:
    """The configured store; on the way, the scratch folders killed processes left behind
    are removed (impact.scratch)."""
    from impact.scratch import remove_stale

    config = config or settings()
    remove_stale()
    return Store(warehouse(config), Catalog(config.catalog_url), config.user, config.role)


def warehouse(config: Settings):
    """The facts: the DuckDB file, or with IMPACT_ENGINE=spark the configured tables on Spark
    (impact.warehouse.spark), which has the same read interface."""
    if config.engine != "spark":
        return Warehouse(config.warehouse_path)
    from impact.warehouse.sources import read_sources
    from impact.warehouse.spark import SparkWarehouse

    return SparkWarehouse(
        config.spark_master, read_sources(config.spark_sources), config.spark_conf
    )
