"""The OLTP MySQL source: the operational schema from the contracts, bulk seeding, and churn.

    from gladiator.oltp import seed, churn
    seed(settings.mysql_url, truth_dir=Path(out) / "truth")
    changes = churn(settings.mysql_url, orders=10, updates=20, seed=1)

One table per entity (named as the entity), contract columns and types, real primary and foreign
keys, ``updated_at DATETIME(6)`` indexed everywhere (ON UPDATE CURRENT_TIMESTAMP(6) on mutable
tables). See docs/HELPERS.md "MySQL OLTP source".
"""

from gladiator.oltp.churn import Change, ChurnReport, churn
from gladiator.oltp.connection import OltpError, connect, database_of
from gladiator.oltp.schema import create_schema, create_table_sql, table_counts
from gladiator.oltp.seed import SeedReport, seed

__all__ = [
    "Change",
    "ChurnReport",
    "OltpError",
    "SeedReport",
    "churn",
    "connect",
    "create_schema",
    "create_table_sql",
    "database_of",
    "seed",
    "table_counts",
]
