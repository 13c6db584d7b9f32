"""The operational schema, generated from the contracts (one table per entity)."""

from __future__ import annotations

import pymysql

from gladiator.contracts import CONTRACTS, ENTITY_NAMES, Contract
from gladiator.contracts.types import sql_type


def _q(name: str) -> str:
    return f"`{name}`"


def create_table_sql(contract: Contract) -> str:
    """CREATE TABLE for one entity: contract columns NOT NULL, PK, FKs, an updated_at index."""
    lines = []
    for column in contract.columns:
        definition = (
            f"  {_q(column.name)} {sql_type(column, 'mysql')} {'NULL' if column.nullable else 'NOT NULL'}"
        )
        if column.name == contract.version_column:
            definition += " DEFAULT CURRENT_TIMESTAMP(6)"
            if contract.mutable:
                definition += " ON UPDATE CURRENT_TIMESTAMP(6)"
        lines.append(definition)
    lines.append(f"  PRIMARY KEY ({', '.join(map(_q, contract.primary_key))})")
    lines.append(f"  KEY {_q('ix_' + contract.name + '_updated_at')} ({_q(contract.version_column)})")
    for i, fk in enumerate(contract.foreign_keys, start=1):
        lines.append(
            f"  CONSTRAINT {_q(f'fk_{contract.name}_{i}_{fk.references}')} FOREIGN KEY ({', '.join(map(_q, fk.columns))}) "
            f"REFERENCES {_q(fk.references)} ({', '.join(map(_q, fk.referenced_columns))})"
        )
    body = ",\n".join(lines)
    return f"CREATE TABLE {_q(contract.name)} (\n{body}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"


def create_schema(conn: pymysql.Connection) -> None:
    """Drop and recreate every entity table (idempotent; children dropped first)."""
    with conn.cursor() as cur:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        for name in reversed(ENTITY_NAMES):
            cur.execute(f"DROP TABLE IF EXISTS {_q(name)}")
        for name in ENTITY_NAMES:
            cur.execute(create_table_sql(CONTRACTS[name]))
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
