"""The operational schema, generated from the contracts (one table per entity)."""

from __future__ import annotations

import pymysql

from gladiator.contracts import CONTRACTS, ENTITY_NAMES, Contract
from gladiator.contracts.types import sql_type


def _q(name: str) -> str:
    return f"`{name}`"


def _secondary(contract: Contract) -> list[str]:
    """The updated_at index and the foreign keys, as table-definition clauses."""
    clauses = [f"KEY {_q('ix_' + contract.name + '_updated_at')} ({_q(contract.version_column)})"]
    for i, fk in enumerate(contract.foreign_keys, start=1):
        clauses.append(
            f"CONSTRAINT {_q(f'fk_{contract.name}_{i}_{fk.references}')} FOREIGN KEY ({', '.join(map(_q, fk.columns))}) "
            f"REFERENCES {_q(fk.references)} ({', '.join(map(_q, fk.referenced_columns))})"
        )
    return clauses


def create_table_sql(contract: Contract, *, secondary: bool = True) -> str:
    """CREATE TABLE for one entity: contract columns NOT NULL, PK, FKs, an updated_at index.

    ``secondary=False`` leaves out the index and foreign keys (bulk loads add them afterwards
    with ``add_secondary_sql``: one sorted index build instead of a B-tree insert per row).
    """
    lines = []
    for column in contract.columns:
        definition = (
            f"{_q(column.name)} {sql_type(column, 'mysql')} {'NULL' if column.nullable else 'NOT NULL'}"
        )
        if column.name == contract.version_column:
            definition += " DEFAULT CURRENT_TIMESTAMP(6)"
            if contract.mutable:
                definition += " ON UPDATE CURRENT_TIMESTAMP(6)"
        lines.append(definition)
    lines.append(f"PRIMARY KEY ({', '.join(map(_q, contract.primary_key))})")
    if secondary:
        lines += _secondary(contract)
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {_q(contract.name)} (\n  {body}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"


def add_secondary_sql(contract: Contract) -> str:
    """ALTER TABLE adding what ``create_table_sql(secondary=False)`` left out."""
    return f"ALTER TABLE {_q(contract.name)} " + ", ".join("ADD " + clause for clause in _secondary(contract))


def create_schema(conn: pymysql.Connection, *, secondary: bool = True) -> None:
    """Drop and recreate every entity table (idempotent; children dropped first)."""
    with conn.cursor() as cur:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        for name in reversed(ENTITY_NAMES):
            cur.execute(f"DROP TABLE IF EXISTS {_q(name)}")
        for name in ENTITY_NAMES:
            cur.execute(create_table_sql(CONTRACTS[name], secondary=secondary))
        cur.execute("SET FOREIGN_KEY_CHECKS = 1")
    conn.commit()


def add_secondary(conn: pymysql.Connection) -> None:
    """Add the updated_at indexes and foreign keys to tables created with ``secondary=False``.

    Foreign-key checks are off while adding them (the loaded truth is known to be consistent), so
    InnoDB adds each constraint in place without re-validating every row.
    """
    with conn.cursor() as cur:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        for name in ENTITY_NAMES:
            cur.execute(add_secondary_sql(CONTRACTS[name]))
        cur.execute("SET FOREIGN_KEY_CHECKS = 1")
    conn.commit()


def table_counts(conn: pymysql.Connection) -> dict[str, int]:
    """Exact row count of every entity table."""
    counts = {}
    with conn.cursor() as cur:
        for name in ENTITY_NAMES:
            cur.execute(f"SELECT COUNT(*) FROM {_q(name)}")
            row = cur.fetchone()
            counts[name] = int(row[0]) if row else 0
    return counts
