"""Shared set-up of the serving tests (warehouse, dashboard, Tableau, EDA): truth data, gold Delta
tables built from it with the real gold transforms, and throw-away warehouse schemas.

Built once per test process (memoised) because Spark and the gold build are the slow part.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gladiator.config import Settings
from gladiator.contracts import Contract
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.transforms.silver import partition_columns, with_partitions
from tests.tpch_truth import make_truth, truth_frame

SCALE = 0.01
_MEMO: dict[str, Any] = {}


def truth_dir() -> Path:
    if "truth" not in _MEMO:
        _MEMO["truth"] = make_truth(Path(tempfile.mkdtemp(prefix="gladiator-serving-")), SCALE)
    return _MEMO["truth"]


def build_gold(spark: Any, truth: Path) -> dict[str, Any]:
    """Every gold table (star schema + aggregates) from truth-as-silver, with the real transforms."""
    from gladiator.transforms.gold_registry import SILVER_INPUTS, build_gold

    return build_gold({name: truth_frame(spark, truth, name) for name in SILVER_INPUTS})


def gold_lake(spark: Any, settings: Settings) -> dict[str, str]:
    """Gold Delta tables in a unique lake folder: table name -> s3:// URI (built once)."""
    if "gold" not in _MEMO:
        root = f"{settings.lake_bucket}/tests/serving-{uuid.uuid4().hex[:10]}/gold"
        uris = {}
        profiles = {}
        for name, df in build_gold(spark, truth_dir()).items():
            df = df.cache()  # written and profiled from the same computed rows
            write_gold_table(df, GOLD_TABLES[name], f"s3a://{root}/{name}")
            uris[name] = f"s3://{root}/{name}"
            profiles[name] = list(df.selectExpr(*profile_expressions(GOLD_TABLES[name], "`")).first())
            df.unpersist()
        _MEMO["gold"] = uris
        _MEMO["gold_profiles"] = profiles
    return _MEMO["gold"]


def write_gold_table(df: Any, contract: Contract, uri: str, mode: str = "overwrite") -> None:
    """Write one gold table as the gold job does: Delta, partitioned by the contract's derived columns."""
    df = with_partitions(df, contract)
    writer = df.write.format("delta").mode(mode)
    if contract.partition_by:
        writer = writer.partitionBy(*partition_columns(contract))
    writer.save(uri)


NUMERIC = ("bigint", "int", "decimal")


def profile_expressions(contract: Contract, quote: str) -> list[str]:
    """COUNT(*), SUM of every numeric column, MIN/MAX of every date column (any SQL engine)."""
    parts = ["COUNT(*)"]
    for c in contract.columns:
        name = f"{quote}{c.name}{quote}"
        if c.type.startswith(NUMERIC):
            parts.append(f"SUM({name})")
        elif c.type == "date":
            parts += [f"MIN({name})", f"MAX({name})"]
    return parts


def gold_profiles(spark: Any, settings: Settings) -> dict[str, list[Any]]:
    """table -> its ``profile_expressions`` values, computed from the rows written to gold."""
    gold_lake(spark, settings)
    return _MEMO["gold_profiles"]


def unique_schema(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextmanager
def throwaway_schema(settings: Settings, prefix: str = "t") -> Iterator[str]:
    """A warehouse schema only this test uses; dropped afterwards."""
    import psycopg

    schema = unique_schema(prefix)
    try:
        yield schema
    finally:
        with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def ledger_cleanup(settings: Settings, schema: str, tables: list[str]) -> None:
    """Delete this test's load-ledger items (sk = its schema)."""
    import boto3

    from gladiator import resources

    ddb = boto3.client("dynamodb", **settings.boto3_kwargs())
    for table in tables:
        ddb.delete_item(
            TableName=settings.table_name(resources.JOB_STATE),
            Key={"pk": {"S": f"warehouse#{table}"}, "sk": {"S": schema}},
        )
