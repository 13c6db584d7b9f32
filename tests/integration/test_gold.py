"""silver -> gold on SF 0.01: every gold aggregate equals DuckDB's independent figures over truth,
a re-run of the same batch writes nothing, and a later batch with OLTP-style changes brings gold
back in line with the changed truth (MERGE updates, inserts and deletes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gladiator import lake
from gladiator.contracts.gold import GOLD_TABLE_NAMES, get_gold_contract
from gladiator.jobs.silver_to_gold import app_id, run_silver_to_gold
from tests.gold_expected import EXPECTED_SQL, compare_table, expected_rows, load_truth
from tests.tpch_truth import make_truth, write_silver

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CHECKED = tuple(EXPECTED_SQL)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_truth(tmp_path_factory.mktemp("tpch"), 0.01)


@pytest.fixture(scope="module")
def lake_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    # A local folder: these tests are about gold's content; the moto S3 round trips would
    # multiply the run time (the job on s3:// is covered by test_gold_job.py).
    return str(tmp_path_factory.mktemp("lake"))


@pytest.fixture(scope="module")
def built(spark: SparkSession, truth: Path, lake_root: str) -> dict:
    write_silver(spark, truth, f"{lake_root}/silver")
    return run_silver_to_gold(
        spark, silver_root=f"{lake_root}/silver", gold_root=f"{lake_root}/gold", batch_id="b1", batch_seq=1
    )


def _gold_rows(spark: SparkSession, lake_root: str, table: str) -> list[tuple]:
    columns = get_gold_contract(table).column_names
    return [
        tuple(r)
        for r in spark.read.format("delta").load(f"{lake_root}/gold/{table}").select(*columns).collect()
    ]


def _assert_gold_matches(spark: SparkSession, lake_root: str, con) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    for table in CHECKED:
        problems += compare_table(table, _gold_rows(spark, lake_root, table), expected_rows(con, table))
    assert not problems, "\n".join(problems)


def test_gold_aggregates_equal_duckdb_over_truth(
    spark: SparkSession, truth: Path, lake_root: str, built: dict
) -> None:
    assert set(built) == set(GOLD_TABLE_NAMES) and all(r["written"] for r in built.values())
    _assert_gold_matches(spark, lake_root, load_truth(str(truth)))


def test_gold_star_schema_shape(spark: SparkSession, truth: Path, lake_root: str, built: dict) -> None:
    con = load_truth(str(truth))
    sales = spark.read.format("delta").load(f"{lake_root}/gold/fact_sales")
    assert sales.count() == con.execute("SELECT count(*) FROM lineitem").fetchone()[0]
    net = sales.selectExpr("sum(net_revenue)").first()[0]
    assert net == con.execute("SELECT sum(l_extendedprice * (1 - l_discount)) FROM lineitem").fetchone()[0]
    late = sales.where("is_late = 1").count()
    assert (
        late == con.execute("SELECT count(*) FROM lineitem WHERE l_receiptdate > l_commitdate").fetchone()[0]
    )
    dates = spark.read.format("delta").load(f"{lake_root}/gold/dim_date")
    # every fact date joins the calendar
    for column in ("order_date_key", "ship_date_key", "commit_date_key", "receipt_date_key"):
        assert sales.join(dates, sales[column] == dates.date_key, "left_anti").count() == 0, column
    assert spark.read.format("delta").load(f"{lake_root}/gold/dim_geography").count() == 25


def test_rerun_of_same_batch_writes_nothing(spark: SparkSession, lake_root: str, built: dict) -> None:
    versions = {t: lake.table_version(spark, f"{lake_root}/gold/{t}") for t in GOLD_TABLE_NAMES}
    again = run_silver_to_gold(
        spark, silver_root=f"{lake_root}/silver", gold_root=f"{lake_root}/gold", batch_id="b1", batch_seq=1
    )
    assert not any(r["written"] for r in again.values()), again
    assert versions == {t: lake.table_version(spark, f"{lake_root}/gold/{t}") for t in GOLD_TABLE_NAMES}
    assert lake.committed_txn_version(spark, f"{lake_root}/gold/fact_sales", app_id("fact_sales")) == 1


CHANGES = [
    # (Spark SQL on silver Delta / DuckDB on truth tables: the same statements run in both)
    "UPDATE orders SET o_orderstatus = 'F', o_orderpriority = '1-URGENT', "
    "updated_at = TIMESTAMP '2026-02-01 00:00:00' WHERE o_orderkey % 97 = 0",
    "UPDATE lineitem SET l_discount = 0.10, l_receiptdate = l_commitdate + 30, l_returnflag = 'R', "
    "updated_at = TIMESTAMP '2026-02-01 00:00:00' WHERE l_orderkey % 89 = 0 AND l_linenumber = 1",
    "UPDATE customer SET c_mktsegment = 'MACHINERY', c_nationkey = 3, "
    "updated_at = TIMESTAMP '2026-02-01 00:00:00' WHERE c_custkey % 53 = 0",
    "DELETE FROM lineitem WHERE l_orderkey % 101 = 0 AND l_linenumber > 1",
]


def test_next_batch_applies_changes_updates_inserts_deletes(
    spark: SparkSession, truth: Path, lake_root: str, built: dict
) -> None:
    con = load_truth(str(truth))
    silver = f"{lake_root}/silver"
    for statement in CHANGES:
        con.execute(statement)
        table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
        spark_sql = statement.replace(f" {table} ", f" delta.`{silver}/{table}` ", 1)
        spark_sql = spark_sql.replace("l_commitdate + 30", "date_add(l_commitdate, 30)")
        spark.sql(spark_sql)
    # a new order with one line (insert path of the fact MERGE)
    con.execute(
        "INSERT INTO orders SELECT 999999 AS o_orderkey, * EXCLUDE (o_orderkey) FROM orders WHERE o_orderkey = 1"
    )
    con.execute(
        "INSERT INTO lineitem SELECT 999999 AS l_orderkey, * EXCLUDE (l_orderkey) FROM lineitem "
        "WHERE l_orderkey = 1 AND l_linenumber = 1"
    )
    for table, key in (("orders", "o_orderkey"), ("lineitem", "l_orderkey")):
        src = spark.read.format("delta").load(f"{silver}/{table}").where(f"{key} = 1")
        if table == "lineitem":
            src = src.where("l_linenumber = 1")
        src.withColumn(key, src[key] * 0 + 999999).write.format("delta").mode("append").save(
            f"{silver}/{table}"
        )

    report = run_silver_to_gold(
        spark, silver_root=silver, gold_root=f"{lake_root}/gold", batch_id="b2", batch_seq=2
    )
    assert all(r["written"] for r in report.values())
    _assert_gold_matches(spark, lake_root, con)
    sales = spark.read.format("delta").load(f"{lake_root}/gold/fact_sales")
    assert sales.count() == con.execute("SELECT count(*) FROM lineitem").fetchone()[0]
    assert sales.where("order_key = 999999").count() == 1
