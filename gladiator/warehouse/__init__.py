"""Serving: gold Delta tables -> the warehouse (Redshift on AWS, PostgreSQL locally).

Public API: ``load_gold(settings)`` (exactly-once per gold Delta version), the loaders
(``PostgresLoader``, ``RedshiftLoader``), the load ledger, and ``create_views`` for the business
views in ``gladiator/warehouse/sql``.
"""

from gladiator.warehouse.errors import WarehouseLoadError, WarehouseUnavailable
from gladiator.warehouse.loader import DEFAULT_SCHEMA, LoadSummary, TablePlan, WarehouseLoader, load_gold

__all__ = [
    "DEFAULT_SCHEMA",
    "LoadSummary",
    "TablePlan",
    "WarehouseLoadError",
    "WarehouseLoader",
    "WarehouseUnavailable",
    "load_gold",
]
