"""Incremental windows against the real MariaDB: a row whose transaction commits after a run read
past its ``updated_at`` is extracted by the next run (no fixed overlap needed); with no transaction
open, nothing already read is read again, and a run with no change starts no Spark.

Isolation: a scratch database with one table (``region``), a unique job-state table, a local lake
folder. The overlap is 0 throughout, so only the open-transaction probe can catch the late row.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from gladiator.config import Settings
from gladiator.contracts import CONTRACTS
from gladiator.jobs.mysql_to_bronze import WatermarkStore, run_mysql_to_bronze
from gladiator.oltp.connection import connect
from gladiator.oltp.schema import create_table_sql
from gladiator.transforms import extract
from tests.oltp_helpers import scratch_database

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.integration]

NO_OVERLAP = timedelta(0)


@pytest.fixture
def region_db(local_stack: Settings) -> Iterator[str]:
    with scratch_database(local_stack.mysql_url, "retail_win") as name:
        conn = connect(local_stack.mysql_url, name, autocommit=True)
        with conn.cursor() as cur:
            cur.execute(create_table_sql(CONTRACTS["region"]))
            cur.executemany(
                "INSERT INTO region (r_regionkey, r_name, r_comment, updated_at) "
                "VALUES (%s, %s, 'c', UTC_TIMESTAMP(6) - INTERVAL 1 HOUR)",  # well before the window's resume point
                [(k, f"R{k}") for k in range(5)],
            )
        conn.close()
        yield name


@pytest.fixture
def job_state(local_stack: Settings) -> Iterator[str]:
    name = f"gl-win-{uuid.uuid4().hex[:10]}"
    ddb = boto3.client("dynamodb", **local_stack.boto3_kwargs())
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    ddb.delete_table(TableName=name)


def test_late_commit_is_caught_without_overlap_and_nothing_is_read_twice(
    spark: SparkSession, local_stack: Settings, region_db: str, job_state: str, tmp_path: Path
) -> None:
    settings = local_stack
    bronze_root = str(tmp_path / "bronze")
    inputs: dict[int, dict[str, int]] = {}

    def extract_batch(seq: int, session: Any) -> dict[str, Any]:
        (result,) = run_mysql_to_bronze(
            session,
            source=extract.jdbc_source(settings.mysql_url, region_db),
            source_url=settings.mysql_url,
            store=WatermarkStore(job_state, boto3.client("dynamodb", **settings.boto3_kwargs())),
            bronze_root=bronze_root,
            batch_id=f"w{seq}",
            batch_seq=seq,
            tables=["region"],
            overlap=NO_OVERLAP,
            record_input=lambda table, rows: inputs.setdefault(seq, {}).__setitem__(table, rows),
        )
        return result

    def bronze_keys(seq: int) -> set[int]:
        rows = spark.read.format("delta").load(f"{bronze_root}/region").where(f"_batch_id = 'w{seq}'")
        return {int(r.r_regionkey) for r in rows.collect()}

    def check_windows(idle: Any, late: Any) -> None:
        # a forgotten connection with an open read view (another client's, or another test's): it
        # has written nothing, so it must not hold the windows back
        with idle.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM region")
        assert extract_batch(1, spark)["rows"] == 5 and bronze_keys(1) == set(range(5))

        with late.cursor() as cur:  # stamped now, committed only after the next run
            cur.execute(
                "UPDATE region SET r_comment = 'late', updated_at = UTC_TIMESTAMP(6) WHERE r_regionkey = 1"
            )
        time.sleep(0.01)
        other = connect(settings.mysql_url, region_db, autocommit=True)
        with other.cursor() as cur:  # committed, and stamped after the late row
            cur.execute(
                "UPDATE region SET r_comment = 'early', updated_at = UTC_TIMESTAMP(6) WHERE r_regionkey = 2"
            )
        other.close()

        second = extract_batch(2, spark)
        assert bronze_keys(2) == {2}, "the open transaction's row cannot be visible yet"
        assert second["rows"] == 1 and inputs[2] == {"region": 1}

        late.commit()
        extract_batch(3, spark)
        # the window resumed from the open transaction's start: the late row, plus what was stamped
        # after that start (row 2 again: harmless, silver's ordering guard makes it a no-op)
        assert bronze_keys(3) == {1, 2}, "the late row must be read by the next window"

        def no_spark() -> Any:
            raise AssertionError("a run with no change must not start Spark")

        fourth = extract_batch(4, no_spark)
        assert fourth["rows"] == 0 and inputs[4] == {"region": 0}

    # Open transactions are closed however the test ends: one left open would block the scratch
    # database's DROP in the fixture's teardown (a metadata lock) and hang instead of failing.
    idle = connect(settings.mysql_url, region_db, autocommit=False)
    late = connect(settings.mysql_url, region_db, autocommit=False)
    try:
        check_windows(idle, late)
    finally:
        late.close()
        idle.close()
