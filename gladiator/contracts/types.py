"""Logical contract types mapped to each engine: Spark, Arrow, SQL warehouses, MySQL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from gladiator.contracts.model import Column, Contract

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql.types import DataType, StructType

Dialect = Literal["postgres", "redshift", "mysql", "duckdb"]
_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")


def _decimal(type_: str) -> tuple[int, int] | None:
    match = _DECIMAL.fullmatch(type_)
    return (int(match.group(1)), int(match.group(2))) if match else None


def spark_type(column: Column) -> DataType:
    from pyspark.sql import types as T

    if dec := _decimal(column.type):
        return T.DecimalType(*dec)
    return {
        "bigint": T.LongType(),
        "int": T.IntegerType(),
        "string": T.StringType(),
        "date": T.DateType(),
        "timestamp": T.TimestampType(),
    }[column.type]


def spark_schema(contract: Contract, *, all_nullable: bool = False) -> StructType:
    """The contract as a Spark schema (``all_nullable`` for reading raw data before validation)."""
    from pyspark.sql import types as T

    return T.StructType(
        [T.StructField(c.name, spark_type(c), all_nullable or c.nullable) for c in contract.columns]
    )


def arrow_type(column: Column) -> pa.DataType:
    import pyarrow as pa

    if dec := _decimal(column.type):
        return pa.decimal128(*dec)
    return {
        "bigint": pa.int64(),
        "int": pa.int32(),
        "string": pa.string(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }[column.type]


def arrow_schema(contract: Contract) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c), nullable=c.nullable) for c in contract.columns])


def sql_type(column: Column, dialect: Dialect) -> str:
    """The column's SQL type in ``dialect`` (strings get their contract VARCHAR length)."""
    if dec := _decimal(column.type):
        return f"DECIMAL({dec[0]},{dec[1]})"
    if column.type == "string":
        if dialect == "duckdb":
            return "VARCHAR"
        return f"VARCHAR({column.max_length or 256})"
    if column.type == "timestamp":
        return {
            "mysql": "DATETIME(6)",
            "postgres": "TIMESTAMP",
            "redshift": "TIMESTAMP",
            "duckdb": "TIMESTAMP",
        }[dialect]
    return {"bigint": "BIGINT", "int": "INTEGER", "date": "DATE"}[column.type]
