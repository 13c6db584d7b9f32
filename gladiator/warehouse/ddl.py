"""SQL for the warehouse, generated from the contracts (one text per dialect: redshift, postgres).

Table DDL carries the contract's keys and, on Redshift, its physical layout: ``DISTKEY`` from
``Contract.dist_key`` (``DISTSTYLE ALL`` for small dimensions without one) and a compound
``SORTKEY`` from ``Contract.sort_keys``. A load of one table is:

1. a staging table with the columns of the Delta files, in file order (Redshift's Parquet COPY
   maps columns by position);
2. ``COPY ... MANIFEST FORMAT AS PARQUET`` (Redshift) or ``COPY ... FROM STDIN`` (PostgreSQL);
3. ``MERGE`` into the target on the primary key (update changed rows, insert new ones), then a
   ``DELETE`` of target rows the snapshot no longer has: the target equals the snapshot;
4. an upsert of the load marker row ``<schema>._load_ledger`` (table, Delta version) in the same
   transaction, so the warehouse itself knows which version it holds.

Everything here is pure text; the golden-file tests parse it with sqlglot's redshift dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from gladiator.contracts import Contract
from gladiator.contracts.types import sql_type

WarehouseDialect = Literal["redshift", "postgres"]
LOAD_LEDGER_TABLE = "_load_ledger"


def qualified(schema: str, table: str) -> str:
    return f"{schema}.{table}"


def staging_name(contract: Contract) -> str:
    return f"stage_{contract.name}"


def create_schema_sql(schema: str) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {schema}"


def column_definitions(contract: Contract, dialect: WarehouseDialect) -> list[str]:
    return [f"{c.name} {sql_type(c, dialect)}{'' if c.nullable else ' NOT NULL'}" for c in contract.columns]


def create_table_sql(contract: Contract, schema: str, dialect: WarehouseDialect) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for the contract (Redshift: with DISTSTYLE/DISTKEY/SORTKEY)."""
    lines = column_definitions(contract, dialect)
    if contract.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(contract.primary_key)})")
    body = ",\n  ".join(lines)
    sql = f"CREATE TABLE IF NOT EXISTS {qualified(schema, contract.name)} (\n  {body}\n)"
    if dialect == "redshift":
        if contract.dist_key:
            sql += f"\nDISTSTYLE KEY DISTKEY ({contract.dist_key})"
        else:
            sql += "\nDISTSTYLE ALL"
        if contract.sort_keys:
            sql += f"\nCOMPOUND SORTKEY ({', '.join(contract.sort_keys)})"
    return sql


def create_load_ledger_sql(schema: str) -> str:
    """The warehouse-side load marker: which Delta version each target holds (same transaction)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, LOAD_LEDGER_TABLE)} (\n"
        "  table_name VARCHAR(128) NOT NULL,\n"
        "  delta_version BIGINT NOT NULL,\n"
        "  row_count BIGINT NOT NULL,\n"
        "  loaded_at TIMESTAMP NOT NULL,\n"
        "  PRIMARY KEY (table_name)\n)"
    )


_DELTA_TYPES = {
    "long": "BIGINT",
    "integer": "INTEGER",
    "short": "SMALLINT",
    "byte": "SMALLINT",
    "string": "VARCHAR(65535)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "timestamp_ntz": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "double": "DOUBLE PRECISION",
    "float": "REAL",
}


def delta_sql_type(delta_type: Any) -> str:
    """SQL type of a Delta schema field type (for file columns that are not contract columns)."""
    if isinstance(delta_type, str) and delta_type.startswith("decimal"):
        return delta_type.upper()
    if isinstance(delta_type, str) and delta_type in _DELTA_TYPES:
        return _DELTA_TYPES[delta_type]
    raise ValueError(f"Delta type {delta_type!r} has no warehouse mapping")


def staging_columns(
    contract: Contract,
    file_columns: Sequence[str],
    delta_schema: dict[str, Any] | None,
    dialect: WarehouseDialect,
) -> list[tuple[str, str]]:
    """(name, SQL type) of the staging table: the given columns in order; contract columns get
    their contract type, any other file column the type mapped from the Delta schema."""
    delta_types = {f["name"]: f["type"] for f in (delta_schema or {}).get("fields", [])}
    contract_names = set(contract.column_names)
    result = []
    for name in file_columns:
        if name in contract_names:
            result.append((name, sql_type(contract.column(name), dialect)))
        else:
            result.append((name, delta_sql_type(delta_types.get(name, "string"))))
    return result


def create_staging_sql(columns: Sequence[tuple[str, str]], staging: str) -> str:
    """A session-local staging table (dropped explicitly at the end of the load)."""
    body = ",\n  ".join(f"{name} {type_}" for name, type_ in columns)
    return f"CREATE TEMP TABLE {staging} (\n  {body}\n)"


def copy_manifest_sql(staging: str, manifest_uri: str, iam_role: str) -> str:
    """Redshift COPY of a Parquet manifest (columns by position: the staging table is file order)."""
    return f"COPY {staging}\nFROM '{manifest_uri}'\nIAM_ROLE '{iam_role}'\nFORMAT AS PARQUET\nMANIFEST"


def copy_stdin_sql(staging: str, columns: Sequence[str]) -> str:
    """PostgreSQL COPY of CSV text streamed by the client (NULL = unquoted empty field)."""
    return f"COPY {staging} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"


def _key_match(contract: Contract, target: str, source: str) -> str:
    return " AND ".join(f"{target}.{k} = {source}.{k}" for k in contract.primary_key)


def merge_sql(contract: Contract, schema: str, staging: str, dialect: WarehouseDialect) -> str:
    """MERGE the staged snapshot into the target on the primary key.

    PostgreSQL only rewrites rows whose values changed; Redshift's MERGE allows no extra condition
    on WHEN MATCHED, so it rewrites every matched row (same result)."""
    target = qualified(schema, contract.name)
    non_keys = [c for c in contract.column_names if c not in contract.primary_key]
    columns = contract.column_names
    sets = ", ".join(f"{c} = s.{c}" for c in non_keys)
    matched = "WHEN MATCHED"
    if dialect == "postgres" and non_keys:
        changed = " OR ".join(f"t.{c} IS DISTINCT FROM s.{c}" for c in non_keys)
        matched += f" AND ({changed})"
    sql = f"MERGE INTO {target} AS t\nUSING {staging} AS s\n"
    sql += f"ON {_key_match(contract, 't', 's')}\n"
    if non_keys:
        sql += f"{matched} THEN UPDATE SET {sets}\n"
    sql += (
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)})\n"
        f"VALUES ({', '.join('s.' + c for c in columns)})"
    )
    return sql


def delete_missing_sql(contract: Contract, schema: str, staging: str) -> str:
    """Delete target rows whose key is not in the snapshot (the target then equals the snapshot)."""
    target = qualified(schema, contract.name)
    return (
        f"DELETE FROM {target}\nWHERE NOT EXISTS (\n"
        f"  SELECT 1 FROM {staging} AS s WHERE {_key_match(contract, target, 's')}\n)"
    )


def record_load_sql(schema: str, table: str, version: int, dialect: WarehouseDialect) -> list[str]:
    """Upsert the load marker of ``table`` (delete + insert: one text for both dialects)."""
    ledger = qualified(schema, LOAD_LEDGER_TABLE)
    count = f"(SELECT COUNT(*) FROM {qualified(schema, table)})"
    now = "GETDATE()" if dialect == "redshift" else "(now() AT TIME ZONE 'UTC')"
    return [
        f"DELETE FROM {ledger} WHERE table_name = '{table}'",
        f"INSERT INTO {ledger} (table_name, delta_version, row_count, loaded_at)\n"
        f"SELECT '{table}', {int(version)}, {count}, {now}",
    ]


def redshift_load_script(
    contract: Contract,
    schema: str,
    *,
    file_columns: Sequence[str],
    delta_schema: dict[str, Any] | None,
    manifest_uri: str,
    iam_role: str,
    version: int,
) -> list[str]:
    """Every statement of one table's Redshift load, in order (run inside one transaction)."""
    missing = [c for c in contract.column_names if c not in file_columns]
    if missing:
        raise ValueError(
            f"{contract.name}: contract columns {missing} are not in the Parquet files (Delta partition "
            "columns?); Redshift COPY cannot fill them"
        )
    staging = staging_name(contract)
    columns = staging_columns(contract, file_columns, delta_schema, "redshift")
    return [
        create_staging_sql(columns, staging),
        copy_manifest_sql(staging, manifest_uri, iam_role),
        merge_sql(contract, schema, staging, "redshift"),
        delete_missing_sql(contract, schema, staging),
        *record_load_sql(schema, contract.name, version, "redshift"),
        f"DROP TABLE {staging}",
    ]
