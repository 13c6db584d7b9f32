"""mysql_to_bronze on the local MariaDB: seed, full extract, churn, incremental extract; then the
real bronze_to_silver job merges both batches and silver equals the OLTP database exactly (every
change once). Also: a retried batch extracts nothing twice, and the watermark only moves forward.

Isolation: a fresh database (retail_xt_<uuid>), lake bucket and job-state table per module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from gladiator import lake
from gladiator.config import Settings
from gladiator.contracts import CONTRACTS
from gladiator.contracts.types import spark_schema
from gladiator.generate import generate_truth
from gladiator.jobs import bronze_to_silver
from gladiator.jobs.context import BatchJobContext
from gladiator.jobs.mysql_to_bronze import WatermarkStore, app_id, run_mysql_to_bronze
from gladiator.oltp import churn, seed
from gladiator.transforms import extract
from tests.oltp_helpers import scratch_database
from tests.spark_helpers import assert_same_rows

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def database(local_stack: Settings) -> Iterator[str]:
    """A fresh database the project user may use, dropped afterwards."""
    with scratch_database(local_stack.mysql_url, "retail_xt") as name:
        yield name


@pytest.fixture(scope="module")
def aws(local_stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A unique bucket and job-state table on moto (created here, deleted at the end), a local lake."""
    suffix = uuid.uuid4().hex[:10]
    names = {
        "bucket": f"gl-xt-{suffix}",
        "job_state": f"gl-xt-state-{suffix}",
        "lake": str(tmp_path_factory.mktemp("xt-lake")),
    }
    s3 = boto3.client("s3", **local_stack.boto3_kwargs())
    ddb = boto3.client("dynamodb", **local_stack.boto3_kwargs())
    s3.create_bucket(Bucket=names["bucket"])
    ddb.create_table(
        TableName=names["job_state"],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield names
    ddb.delete_table(TableName=names["job_state"])


class _Ctx(BatchJobContext):
    """The real job context with the batch sequence given (no claimed files: a MySQL-only batch)
    and the lake in a local folder (the moto S3 round trips would triple the run time; S3 paths
    are covered by the other lake tests)."""

    seq: int = 0
    root: str = ""

    def uri(self, layer: str, name: str) -> str:
        return f"{self.root}/{layer}/{name}"

    def batch_seq(self) -> int:
        return self.seq

    def register(self, *args: Any, **kwargs: Any) -> None:  # the catalog is not under test here
        pass


def _context(settings: Settings, aws: dict[str, str], batch_id: str, seq: int) -> _Ctx:
    """bronze_to_silver's context for a MySQL-only batch ``batch_id`` (batch item written here)."""
    args = {
        "profile": "local",
        "lake_bucket": aws["bucket"],
        "landing_bucket": aws["bucket"],
        "glue_database": "unused",
        "ledger_table": "unused",
        "job_state_table": aws["job_state"],
        "batch_id": batch_id,
        "codec": "zstd",
    }
    ctx = _Ctx(name="test_mysql_extract", args=args)
    ctx.seq = seq
    ctx.root = aws["lake"]
    boto3.client("dynamodb", **settings.boto3_kwargs()).put_item(
        TableName=aws["job_state"],
        Item={"pk": {"S": f"batch#{batch_id}"}, "sk": {"S": "meta"}, "batch_seq": {"N": str(seq)}},
    )
    return ctx


def _extract(spark: SparkSession, settings: Settings, aws: dict[str, str], database: str, **kw: Any) -> list:
    return run_mysql_to_bronze(
        spark,
        source=extract.jdbc_source(settings.mysql_url, database),
        source_url=settings.mysql_url,
        store=WatermarkStore(aws["job_state"], boto3.client("dynamodb", **settings.boto3_kwargs())),
        bronze_root=f"{aws['lake']}/bronze",
        max_partitions=4,
        rows_per_partition=1000,
        **kw,
    )


def _oltp_frame(spark: SparkSession, settings: Settings, database: str, table: str):  # type: ignore[no-untyped-def]
    """The OLTP table as Spark reads it, typed like silver."""
    from pyspark.sql import functions as F

    source = extract.jdbc_source(settings.mysql_url, database)
    reader = spark.read.format("jdbc").option("url", source.url).option("dbtable", f"`{table}`")
    for key, value in source.properties.items():
        reader = reader.option(key, value)
    return reader.load().select(
        [F.col(f.name).cast(f.dataType) for f in spark_schema(CONTRACTS[table]).fields]
    )


@pytest.fixture(scope="module")
def seeded(local_stack: Settings, database: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("xt")
    generate_truth(out, scale=0.01, seed=7)
    seed(local_stack.mysql_url, Path(out) / "truth", database=database)
    return database


def test_seed_extract_churn_extract_gives_silver_equal_to_oltp(
    spark: SparkSession, local_stack: Settings, seeded: str, aws: dict[str, str]
) -> None:
    settings = local_stack
    first = _extract(spark, settings, aws, seeded, batch_id="m1", batch_seq=1, full=True)
    assert {r["table"] for r in first} == set(CONTRACTS) and all(r["written"] for r in first)
    assert max(r["partitions"] for r in first) > 1  # lineitem/orders were split across readers
    bronze_to_silver.run(_context(settings, aws, "m1", 1))

    report = churn(settings.mysql_url, orders=5, updates=5, seed=11, database=seeded)
    assert report.changes
    second = _extract(spark, settings, aws, seeded, batch_id="m2", batch_seq=2)
    by_table = {r["table"]: r for r in second}
    bronze_lineitem = spark.read.format("delta").load(f"{aws['lake']}/bronze/lineitem")
    m2_lines = {
        (int(r.l_orderkey), int(r.l_linenumber)) for r in bronze_lineitem.where("_batch_id = 'm2'").collect()
    }
    # every churned line is in the incremental batch, and nothing else (no transaction was open)
    assert report.keys("lineitem") == m2_lines, report.keys("lineitem") ^ m2_lines
    assert by_table["orders"]["low"] is not None  # an incremental window, not a full re-read
    bronze_to_silver.run(_context(settings, aws, "m2", 2))

    for table in CONTRACTS:
        silver = spark.read.format("delta").load(f"{aws['lake']}/silver/{table}")
        assert_same_rows(
            silver.select(*CONTRACTS[table].column_names), _oltp_frame(spark, settings, seeded, table)
        )

    # a retry of batch 2 extracts nothing again; the watermark did not move backwards
    store = WatermarkStore(aws["job_state"], boto3.client("dynamodb", **settings.boto3_kwargs()))
    before = store.get("orders").watermark
    again = _extract(spark, settings, aws, seeded, batch_id="m2", batch_seq=2)
    assert all(r.get("skipped") == "batch already extracted" for r in again), again
    assert store.get("orders").watermark == before
    assert lake.committed_txn_version(spark, f"{aws['lake']}/bronze/orders", app_id("orders")) == 2
