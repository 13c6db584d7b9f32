"""Shared set-up of the serving tests (warehouse, dashboard, Tableau, EDA): truth data, gold Delta
tables built from it with the real gold transforms, and throw-away warehouse schemas.

Built once per test process (memoised) because Spark and the gold build are the slow part.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gladiator.config import Settings
from gladiator.contracts import CONTRACTS
from gladiator.contracts.types import arrow_schema

SCALE = 0.01
_MEMO: dict[str, Any] = {}


def make_truth(out: Path, scale: float = SCALE) -> Path:
    """``out/truth/<entity>/part-00000.parquet`` (the generator's truth layout).

    Uses ``gladiator generate`` when the generator is installed, else tpchgen-cli plus a fixed
    ``updated_at`` (same schema: ``arrow_schema(contract)``).
    """
    try:
        from gladiator.generate import generate  # type: ignore[import-not-found,attr-defined]
    except ImportError:
        generate = None
    if generate is not None:
        generate(out, scale=scale, seed=7)  # type: ignore[call-arg]
        return out / "truth"
    import duckdb
    import pyarrow.parquet as pq

    raw = out / "tpch"
    tpchgen = Path(sys.executable).with_name("tpchgen-cli")
    subprocess.run([str(tpchgen), "parquet", "-s", str(scale), f"--output-dir={raw}"], check=True)
    con = duckdb.connect()
    for name, contract in CONTRACTS.items():
        columns = ", ".join(c for c in contract.column_names if c != "updated_at")
        table = con.execute(
            f"SELECT {columns}, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS updated_at "
            f"FROM read_parquet('{raw / name}.parquet')"
        ).arrow()
        if hasattr(table, "read_all"):
            table = table.read_all()
        target = out / "truth" / name / "part-00000.parquet"
        target.parent.mkdir(parents=True)
        pq.write_table(table.cast(arrow_schema(contract)), target)
    shutil.rmtree(raw)
    return out / "truth"


def truth_dir() -> Path:
    if "truth" not in _MEMO:
        _MEMO["truth"] = make_truth(Path(tempfile.mkdtemp(prefix="gladiator-serving-")))
    return _MEMO["truth"]


def build_gold(spark: Any, truth: Path) -> dict[str, Any]:
    """Every gold table (star schema + aggregates) from truth-as-silver, with the real transforms."""
    from gladiator.transforms.gold import SILVER_INPUTS, build_star_schema
    from gladiator.transforms.gold_aggregates import build_aggregates

    silver = {name: spark.read.parquet(str(truth / name)) for name in SILVER_INPUTS}
    star = build_star_schema(silver)
    return {**star, **build_aggregates(star)}


def gold_lake(spark: Any, settings: Settings) -> dict[str, str]:
    """Gold Delta tables in a unique lake folder: table name -> s3:// URI (built once)."""
    if "gold" not in _MEMO:
        root = f"{settings.lake_bucket}/tests/serving-{uuid.uuid4().hex[:10]}/gold"
        uris = {}
        for name, df in build_gold(spark, truth_dir()).items():
            df.write.format("delta").mode("overwrite").save(f"s3a://{root}/{name}")
            uris[name] = f"s3://{root}/{name}"
        _MEMO["gold"] = uris
    return _MEMO["gold"]


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
