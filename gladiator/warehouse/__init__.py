"""Serving: gold Delta tables -> the warehouse (Redshift on AWS, PostgreSQL locally).

Public API: ``load_gold(settings)`` (exactly-once per gold Delta version), the loader interface
(``base``: ``TablePlan``, ``WarehouseLoader``) and its two implementations (``PostgresLoader``,
``RedshiftLoader``), the load ledger, and ``create_views`` for the business views in
``gladiator/warehouse/sql``. Dependencies run one way: loader -> postgres/redshift -> base.
"""

from gladiator.warehouse.base import DEFAULT_SCHEMA, TablePlan, WarehouseLoader
from gladiator.warehouse.errors import WarehouseLoadError, WarehouseUnavailable
from gladiator.warehouse.loader import LoadSummary, load_gold

__all__ = [
    "DEFAULT_SCHEMA",
    "LoadSummary",
    "TablePlan",
    "WarehouseLoadError",
    "WarehouseLoader",
    "WarehouseUnavailable",
    "load_gold",
]
