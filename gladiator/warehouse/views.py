"""Business views in the warehouse: checked-in SQL under ``gladiator/warehouse/sql/`` (one view per
file, ``{schema}`` placeholder), valid in both PostgreSQL and Redshift.

The views read the gold star schema and aggregates; metric formulas are evaluated in gold
(``gladiator.metrics``), the views only rank, bucket and re-aggregate.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).parent / "sql"


def view_names() -> list[str]:
    return sorted(p.stem for p in SQL_DIR.glob("v_*.sql"))


def view_select(name: str, schema: str) -> str:
    """The SELECT behind view ``name`` for ``schema`` (comments kept)."""
    return (SQL_DIR / f"{name}.sql").read_text().format(schema=schema).strip()


def create_view_sql(name: str, schema: str) -> str:
    return f"CREATE OR REPLACE VIEW {schema}.{name} AS\n{view_select(name, schema)}"


def referenced_tables(name: str) -> set[str]:
    """The gold tables view ``name`` reads."""
    return set(re.findall(r"\{schema\}\.(\w+)", (SQL_DIR / f"{name}.sql").read_text()))


def views_over(tables: set[str]) -> list[str]:
    """The views whose tables are all in ``tables`` (a load of some tables creates only those)."""
    return [name for name in view_names() if referenced_tables(name) <= tables]


def create_views(conn: Any, schema: str, tables: set[str] | None = None) -> list[str]:
    """Create or replace the views (over ``tables``, default all) through a psycopg connection."""
    names = view_names() if tables is None else views_over(tables)
    for name in names:
        conn.execute(create_view_sql(name, schema))
    return names
