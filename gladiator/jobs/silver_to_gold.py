"""silver_to_gold: extract silver Delta -> ``gladiator.transforms.gold*`` -> load gold Delta.

Loading is idempotent per batch (DESIGN §3.4): every gold commit carries Delta's transaction id
(``txnAppId`` = ``gold.<table>``, ``txnVersion`` = batch_seq), so a retried or re-run batch
writes nothing to a table it already wrote; a partly failed run resumes with the missing tables.
- facts (large, a few rows change per batch): MERGE on the primary key; a row is rewritten only if
  one of its values changed, inserted if new, deleted if gone from silver;
- dimensions and aggregates (small, fully derived): overwrite.
Gold is a deterministic function of silver, so both modes leave gold = f(silver).
Aggregates are built from the gold facts/dimensions as written (read back), not recomputed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from gladiator import lake
from gladiator.contracts.gold import GOLD_TABLE_NAMES, WriteMode, get_gold_contract, write_mode
from gladiator.contracts.model import Contract
from gladiator.transforms import gold as star
from gladiator.transforms import gold_aggregates as aggs

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

Register = Callable[[str, str, Any, tuple[str, ...], str], None]  # name, location, schema, partitions, doc


def app_id(table: str) -> str:
    return f"gold.{table}"


def with_partitions(df: DataFrame, contract: Contract) -> DataFrame:
    """Add the contract's derived partition columns (e.g. ``_order_year``)."""
    from pyspark.sql import functions as F

    for derived in contract.partition_by:
        df = df.withColumn(derived.name, F.expr(derived.expression).cast(derived.type))
    return df


def _merge_changes(df: DataFrame, path: str, contract: Contract) -> None:
    from delta.tables import DeltaTable

    keys = set(contract.primary_key)
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in contract.primary_key)
    values = [c for c in df.columns if c not in keys]
    changed = " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in values)
    (
        DeltaTable.forPath(df.sparkSession, path)
        .alias("t")
        .merge(df.alias("s"), on)
        .whenMatchedUpdateAll(condition=changed)
        .whenNotMatchedInsertAll()
        .whenNotMatchedBySourceDelete()
        .execute()
    )


def write_gold_table(df: DataFrame, path: str, contract: Contract, *, batch_seq: int, batch_id: str) -> bool:
    """Write one gold table for batch ``batch_seq``; False if this batch already wrote it."""
    spark = df.sparkSession
    table_app = app_id(contract.name)
    if lake.already_committed(spark, path, table_app, batch_seq):
        return False
    df = with_partitions(df, contract)
    partitions = [d.name for d in contract.partition_by]
    metadata = lake._metadata({"job": "silver_to_gold", "batch_id": batch_id, "batch_seq": batch_seq}) or ""
    if write_mode(contract.name) is WriteMode.MERGE and lake.table_exists(spark, path):
        confs = {
            lake._TXN_APP_ID: table_app,
            lake._TXN_VERSION: str(batch_seq),
            lake._USER_METADATA: metadata,
        }
        for key, value in confs.items():
            spark.conf.set(key, value)
        try:
            _merge_changes(df, path, contract)
        finally:
            for key in confs:
                spark.conf.unset(key)
        return True
    writer = (
        df.write.format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .option("txnAppId", table_app)
        .option("txnVersion", str(batch_seq))
        .option("userMetadata", metadata)
    )
    if partitions:
        writer = writer.partitionBy(*partitions)
    writer.save(path)
    return True


def read_silver(spark: SparkSession, silver_root: str) -> dict[str, DataFrame]:
    return {name: spark.read.format("delta").load(f"{silver_root}/{name}") for name in star.SILVER_INPUTS}


def run_silver_to_gold(
    spark: SparkSession,
    *,
    silver_root: str,
    gold_root: str,
    batch_id: str,
    batch_seq: int,
    tables: Iterable[str] | None = None,
    register: Register | None = None,
) -> dict[str, dict[str, Any]]:
    """Build and write the gold tables (all, or ``tables`` plus what they are built from).

    Returns per table ``{"written": bool, "seconds": float}``. ``register`` (optional) is called
    for each table to declare it in the catalog.
    """
    wanted = set(tables or GOLD_TABLE_NAMES)
    unknown = wanted - set(GOLD_TABLE_NAMES)
    if unknown:
        raise KeyError(f"unknown gold tables {sorted(unknown)}")
    silver = read_silver(spark, silver_root)
    report: dict[str, dict[str, Any]] = {}

    def load(name: str, build: Callable[[], DataFrame]) -> DataFrame:
        path = f"{gold_root}/{name}"
        contract = get_gold_contract(name)
        started = time.monotonic()
        written = write_gold_table(build(), path, contract, batch_seq=batch_seq, batch_id=batch_id)
        report[name] = {"written": written, "seconds": round(time.monotonic() - started, 2)}
        log.info(
            "gold %s: %s in %.1fs", name, "written" if written else "already written", report[name]["seconds"]
        )
        written_df = spark.read.format("delta").load(path)
        if register:
            partitions = tuple(d.name for d in contract.partition_by)
            register(name, path, written_df.schema, partitions, contract.description)
        return written_df.select(*contract.column_names)

    geography = load("dim_geography", lambda: star.build_dim_geography(silver["nation"], silver["region"]))
    part = load("dim_part", lambda: star.build_dim_part(silver["part"]))
    supplier = load("dim_supplier", lambda: star.build_dim_supplier(silver["supplier"], geography))
    load("dim_date", lambda: star.build_dim_date(silver["orders"], silver["lineitem"]))
    sales = load(
        "fact_sales",
        lambda: star.build_fact_sales(
            silver["lineitem"], silver["orders"], silver["customer"], silver["supplier"]
        ),
    )
    orders = load("fact_orders", lambda: star.build_fact_orders(silver["orders"], silver["customer"], sales))
    customer = load("dim_customer", lambda: star.build_dim_customer(silver["customer"], geography, orders))
    builders: dict[str, Callable[[], DataFrame]] = {
        "agg_revenue_monthly": lambda: aggs.build_revenue_monthly(sales, customer, geography),
        "agg_supplier_performance": lambda: aggs.build_supplier_performance(sales, supplier),
        "agg_supplier_nation_performance": lambda: aggs.build_supplier_nation_performance(sales, geography),
        "agg_shipmode_efficiency": lambda: aggs.build_shipmode_efficiency(sales),
        "agg_return_rate": lambda: aggs.build_return_rate(sales, part),
        "agg_order_status_mix": lambda: aggs.build_order_status_mix(orders),
        "agg_cohort_retention": lambda: aggs.build_cohort_retention(orders),
    }
    for name, build in builders.items():
        if name in wanted:
            load(name, build)
    return report
