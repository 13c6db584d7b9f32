"""Backfill on generated data: a hand-corrupted silver month (and its gold rows) rebuilt from
bronze equals the generator's truth again (so the other months of its year partition keep their
rows), a second backfill changes no row, the other years' files are not rewritten, and a held
pipeline lock refuses the backfill before it writes.

The Glue entry scripts run in-process on the shared Spark session (as test_batch_lakehouse.py
does); the state-machine branch that starts the same script has its unit test
(tests/unit/test_backfill_state_machine.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from gladiator import lake as delta
from gladiator.contracts import CONTRACTS
from gladiator.quality import QualityStore
from gladiator.transforms import silver
from gladiator.transforms.backfill import PipelineBusy, affected_gold_tables
from glue_jobs import backfill as backfill_job
from tests.integration.test_batch_lakehouse import Loaded, generate_and_load
from tests.spark_helpers import assert_same_rows

pytestmark = pytest.mark.slow
ENTITY = "orders"


@pytest.fixture(scope="module")
def loaded(spark: Any, local_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """SF 0.001 through landing -> bronze -> silver (gold is first built by the backfill)."""
    return generate_and_load(local_stack, tmp_path_factory.mktemp("backfill"), 0.001)


def silver_table(spark: Any, loaded: Loaded) -> Any:
    return spark.read.format("delta").load(loaded.lake.uri("silver", ENTITY))


def truth(spark: Any, loaded: Loaded) -> Any:
    return spark.read.parquet(f"file://{Path(loaded.out) / 'truth' / ENTITY}")


def busiest_month(spark: Any, loaded: Loaded) -> tuple[int, int]:
    row = (
        silver_table(spark, loaded)
        .selectExpr("year(o_orderdate) AS y", "month(o_orderdate) AS m")
        .groupBy("y", "m")
        .count()
        .orderBy("count", ascending=False)
        .first()
    )
    return int(row["y"]), int(row["m"])


def in_month(year: int, month: int) -> str:
    return f"year(o_orderdate) = {year} AND month(o_orderdate) = {month}"


def corrupt_month(spark: Any, loaded: Loaded, year: int, month: int) -> None:
    """By hand, as a bad job or a person would: delete some rows of the month, alter others'
    values (one with a newer ``updated_at``, which no later MERGE would overwrite)."""
    from delta.tables import DeltaTable

    month_rows = in_month(year, month)
    table = DeltaTable.forPath(spark, loaded.lake.uri("silver", ENTITY))
    keys = [
        r["o_orderkey"] for r in silver_table(spark, loaded).where(month_rows).orderBy("o_orderkey").collect()
    ]
    assert len(keys) >= 4, keys
    table.delete(f"{month_rows} AND o_orderkey IN ({keys[0]}, {keys[1]})")
    table.update(
        f"{month_rows} AND o_orderkey = {keys[2]}",
        {"o_totalprice": "o_totalprice + 1000", "o_orderstatus": "'X'"},
    )
    table.update(f"{month_rows} AND o_orderkey = {keys[3]}", {"updated_at": "updated_at + INTERVAL 1 DAY"})


def month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def files_outside(spark: Any, loaded: Loaded, year: int) -> set[str]:
    """The silver data files of every other year partition (a rewrite of another year changes them)."""
    files = set(silver_table(spark, loaded).where(f"_order_year != {year}").inputFiles())
    assert files, "one year only: the test could not see a rewrite outside the range"
    return files


def backfill(loaded: Loaded, run_id: str, months: str) -> Any:
    return backfill_job.main(loaded.lake.job_args(run_id, entity=ENTITY, **{"from": months, "to": months}))


def test_a_corrupted_month_is_rebuilt_from_bronze_and_a_second_backfill_changes_nothing(spark, loaded):
    from delta.tables import DeltaTable

    contract = CONTRACTS[ENTITY]
    quarantine_path = loaded.lake.uri("quarantine", ENTITY)
    quarantined = spark.read.format("delta").load(quarantine_path).count()
    year, month = busiest_month(spark, loaded)
    corrupt_month(spark, loaded, year, month)
    with pytest.raises(AssertionError):  # the corruption is visible: the comparison can fail
        assert_same_rows(silver_table(spark, loaded).select(*contract.column_names), truth(spark, loaded))
    untouched = files_outside(spark, loaded, year)

    run_id = f"backfill-test-{uuid.uuid4().hex[:8]}"
    report = backfill(loaded, run_id, month_text(year, month))

    assert_same_rows(silver_table(spark, loaded).select(*contract.column_names), truth(spark, loaded))
    assert files_outside(spark, loaded, year) == untouched  # only the month's year was rewritten
    assert spark.read.format("delta").load(quarantine_path).count() == quarantined  # not quarantined twice
    assert report.silver["written"] == silver_table(spark, loaded).where(in_month(year, month)).count()
    # every table built from orders (directly or not); the others only because gold did not exist yet
    assert set(affected_gold_tables(ENTITY)) <= set(report.gold)
    results = QualityStore(loaded.lake.job_state_table, loaded.lake.client("dynamodb")).results(run_id)
    assert {r.rule for r in results if r.entity == ENTITY} == set(silver.rule_texts(contract))
    assert {r.checked for r in results} == {report.silver["rows_in"]}
    assert sum(r.failed for r in results) == report.silver["quarantined"] > 0
    assert loaded.lake.batches.lock_holder() is None  # the lock is given back

    # Again, with gold.fact_orders damaged: silver keeps the same rows, gold is repaired.
    silver_path, gold_path = loaded.lake.uri("silver", ENTITY), loaded.lake.uri("gold", "fact_orders")
    version, gold_version = delta.table_version(spark, silver_path), delta.table_version(spark, gold_path)
    rows = silver_table(spark, loaded)
    before = spark.createDataFrame(rows.collect(), rows.schema)
    keys = [r["o_orderkey"] for r in rows.where(in_month(year, month)).collect()]
    DeltaTable.forPath(spark, gold_path).delete(f"order_key IN ({', '.join(str(k) for k in keys)})")
    again = backfill(loaded, f"{run_id}-again", month_text(year, month))
    assert set(again.gold) == set(affected_gold_tables(ENTITY))  # gold exists now: only what orders feeds
    assert delta.table_version(spark, silver_path) == version + 1  # one replaceWhere commit...
    assert_same_rows(silver_table(spark, loaded), before)  # ...with the same rows
    gold_then = spark.read.format("delta").option("versionAsOf", gold_version).load(gold_path)
    assert_same_rows(spark.read.format("delta").load(gold_path), gold_then)


def test_a_held_pipeline_lock_refuses_the_backfill_naming_its_holder(spark, loaded):
    silver_path = loaded.lake.uri("silver", ENTITY)
    version = delta.table_version(spark, silver_path)
    holder = f"batch-running-{uuid.uuid4().hex[:6]}"
    batches = loaded.lake.batches
    assert batches.acquire_lock(holder, lease_s=600)
    try:
        args = loaded.lake.job_args(
            "backfill-refused", entity=ENTITY, wait_s="1", **{"from": "1995-01", "to": "1995-02"}
        )
        with pytest.raises(PipelineBusy, match=holder):
            backfill_job.main(args)
        assert batches.lock_holder() == holder  # the batch keeps its lock
        assert delta.table_version(spark, silver_path) == version  # nothing written
    finally:
        batches.release_lock(holder)


def test_the_cli_refuses_while_a_batch_holds_the_lock_in_one_line(local_stack: Any) -> None:
    from click.testing import CliRunner

    from gladiator import constants
    from gladiator_cli import cli
    from tests.batch_helpers import IsolatedLake

    lake = IsolatedLake.create(local_stack)
    holder = f"batch-running-{uuid.uuid4().hex[:6]}"
    assert lake.batches.acquire_lock(holder, lease_s=600)
    env = {
        constants.LEDGER_TABLE: lake.ledger_table,
        constants.JOB_STATE_TABLE: lake.job_state_table,
        constants.LAKE_BUCKET: lake.lake_bucket,
    }
    args = ["backfill", "--entity", ENTITY, "--from", "1995-01", "--to", "1995-02"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and holder in lines[0] and "--wait" in lines[0], result.stderr
    assert lake.batches.lock_holder() == holder


def test_a_whole_table_backfill_moves_a_month_partitioned_table_to_the_contract_partitioning(spark, loaded):
    """Silver orders as an older contract wrote it (year and month partitions): ``backfill --all``
    rebuilds it from bronze with the contract's partitioning (year) and the generator's rows."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    contract, path = CONTRACTS[ENTITY], loaded.lake.uri("silver", ENTITY)
    rows = silver_table(spark, loaded).withColumn("_order_month", F.month("o_orderdate"))
    old = spark.createDataFrame(rows.collect(), rows.schema)
    (
        old.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
        .partitionBy("_order_year", "_order_month").save(path)
    )  # fmt: skip

    def partitioning() -> list[str]:
        return list(DeltaTable.forPath(spark, path).detail().first()["partitionColumns"])

    assert partitioning() == ["_order_year", "_order_month"]
    report = backfill_job.main(
        loaded.lake.job_args(
            f"backfill-all-{uuid.uuid4().hex[:8]}", entity=ENTITY, **{"from": "all", "to": "all"}
        )
    )
    assert partitioning() == silver.partition_columns(contract) == ["_order_year"]
    assert "_order_month" not in silver_table(spark, loaded).columns
    assert_same_rows(silver_table(spark, loaded).select(*contract.column_names), truth(spark, loaded))
    assert report.silver["written"] == silver_table(spark, loaded).count()
