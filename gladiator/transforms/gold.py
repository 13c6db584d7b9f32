"""Silver -> gold: the star schema (facts and dimensions). Pure DataFrame -> DataFrame functions.

Input is the silver tables by entity name (contract columns typed; metadata columns ignored).
Every builder returns its table conformed to its gold contract (column order and types), so
the result equals ``gladiator.contracts.gold``. Gold is a deterministic function of silver:
rebuilding from the same silver gives the same rows (what makes the gold writes idempotent).

Joins follow the contracts' foreign keys, which silver guarantees (dangling rows are quarantined
upstream), so inner joins lose nothing. Aggregates are in ``gold_aggregates``; which builder makes
which table from which inputs, in what order, is ``gold_registry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gladiator import metrics
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.contracts.model import Contract
from gladiator.contracts.types import spark_type

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def conform(df: DataFrame, contract: Contract) -> DataFrame:
    """``df`` with exactly the contract's columns, in order, cast to the contract types."""
    from pyspark.sql import functions as F

    return df.select([F.col(c.name).cast(spark_type(c)).alias(c.name) for c in contract.columns])


def date_key(column: str) -> Column:
    """yyyymmdd integer of a DATE column (joins dim_date.date_key)."""
    from pyspark.sql import functions as F

    return (F.year(column) * 10000 + F.month(column) * 100 + F.dayofmonth(column)).cast("int")


def _max_updated_at(*columns: str) -> Column:
    from pyspark.sql import functions as F

    return F.greatest(*[F.col(c) for c in columns]) if len(columns) > 1 else F.col(columns[0])


def build_dim_geography(nation: DataFrame, region: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    joined = nation.join(region, nation.n_regionkey == region.r_regionkey).select(
        F.col("n_nationkey").alias("nation_key"),
        F.col("n_name").alias("nation_name"),
        F.col("r_regionkey").alias("region_key"),
        F.col("r_name").alias("region_name"),
        F.greatest(nation.updated_at, region.updated_at).alias("updated_at"),
    )
    return conform(joined, GOLD_TABLES["dim_geography"])


def build_dim_part(part: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    renamed = part.select(
        F.col("p_partkey").alias("part_key"),
        F.col("p_name").alias("part_name"),
        F.col("p_mfgr").alias("manufacturer"),
        F.col("p_brand").alias("brand"),
        F.col("p_type").alias("part_type"),
        F.col("p_size").alias("size"),
        F.col("p_container").alias("container"),
        F.col("p_retailprice").alias("retail_price"),
        "updated_at",
    )
    return conform(renamed, GOLD_TABLES["dim_part"])


def build_dim_supplier(supplier: DataFrame, geography: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    g = geography.alias("g")
    joined = supplier.alias("s").join(F.broadcast(g), F.col("s.s_nationkey") == F.col("g.nation_key"))
    renamed = joined.select(
        F.col("s_suppkey").alias("supplier_key"),
        F.col("s_name").alias("supplier_name"),
        F.col("s_address").alias("address"),
        F.col("s_phone").alias("phone"),
        F.col("s_acctbal").alias("account_balance"),
        "g.nation_key",
        "g.nation_name",
        "g.region_key",
        "g.region_name",
        F.greatest("s.updated_at", "g.updated_at").alias("updated_at"),
    )
    return conform(renamed, GOLD_TABLES["dim_supplier"])


def build_dim_date(orders: DataFrame, lineitem: DataFrame) -> DataFrame:
    """One row per day from the earliest to the latest order/ship/commit/receipt date."""
    from pyspark.sql import functions as F

    bounds = orders.select(
        F.min("o_orderdate").alias("lo"), F.max("o_orderdate").alias("hi"), F.max("updated_at").alias("u")
    ).unionByName(
        lineitem.select(
            F.least(F.min("l_shipdate"), F.min("l_commitdate"), F.min("l_receiptdate")).alias("lo"),
            F.greatest(F.max("l_shipdate"), F.max("l_commitdate"), F.max("l_receiptdate")).alias("hi"),
            F.max("updated_at").alias("u"),
        )
    )
    span = bounds.agg(F.min("lo").alias("lo"), F.max("hi").alias("hi"), F.max("u").alias("updated_at"))
    days = span.where(F.col("lo").isNotNull()).select(
        F.explode(F.sequence("lo", "hi")).alias("date"), "updated_at"
    )
    iso_dow = ((F.dayofweek("date") + 5) % 7) + 1  # Spark: 1 = Sunday; ISO: 1 = Monday
    calendar = days.select(
        date_key("date").alias("date_key"),
        "date",
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.date_format("date", "MMMM").alias("month_name"),
        F.date_format("date", "yyyy-MM").alias("year_month"),
        F.dayofmonth("date").alias("day_of_month"),
        iso_dow.alias("day_of_week"),
        F.date_format("date", "EEEE").alias("day_name"),
        F.weekofyear("date").alias("week_of_year"),
        F.when(iso_dow >= 6, 1).otherwise(0).alias("is_weekend"),
        "updated_at",
    )
    return conform(calendar, GOLD_TABLES["dim_date"])


def build_fact_sales(
    lineitem: DataFrame, orders: DataFrame, customer: DataFrame, supplier: DataFrame
) -> DataFrame:
    """Order lines with their order's dates/status and the customer's and supplier's nations."""
    from pyspark.sql import functions as F

    o = orders.select(
        "o_orderkey",
        "o_custkey",
        "o_orderdate",
        "o_orderstatus",
        "o_orderpriority",
        F.col("updated_at").alias("o_updated_at"),
    )
    c = customer.select("c_custkey", "c_nationkey", F.col("updated_at").alias("c_updated_at"))
    s = supplier.select("s_suppkey", "s_nationkey", F.col("updated_at").alias("s_updated_at"))
    lines = (
        lineitem.withColumnRenamed("updated_at", "l_updated_at")
        .join(o, F.col("l_orderkey") == F.col("o_orderkey"))
        .join(c, F.col("o_custkey") == F.col("c_custkey"))
        .join(F.broadcast(s), F.col("l_suppkey") == F.col("s_suppkey"))
    )
    facts = lines.select(
        F.col("l_orderkey").alias("order_key"),
        F.col("l_linenumber").alias("line_number"),
        F.col("o_custkey").alias("customer_key"),
        F.col("l_partkey").alias("part_key"),
        F.col("l_suppkey").alias("supplier_key"),
        F.col("c_nationkey").alias("customer_nation_key"),
        F.col("s_nationkey").alias("supplier_nation_key"),
        F.col("o_orderdate").alias("order_date"),
        date_key("o_orderdate").alias("order_date_key"),
        F.col("l_shipdate").alias("ship_date"),
        date_key("l_shipdate").alias("ship_date_key"),
        F.col("l_commitdate").alias("commit_date"),
        date_key("l_commitdate").alias("commit_date_key"),
        F.col("l_receiptdate").alias("receipt_date"),
        date_key("l_receiptdate").alias("receipt_date_key"),
        F.col("l_quantity").alias("quantity"),
        F.col("l_extendedprice").alias("extended_price"),
        F.col("l_discount").alias("discount"),
        F.col("l_tax").alias("tax_rate"),
        metrics.NET_REVENUE.column().alias("net_revenue"),
        metrics.TAX_AMOUNT.column().alias("tax_amount"),
        metrics.SHIP_LAG_DAYS.column().alias("ship_lag_days"),
        metrics.DELIVERY_DELAY_DAYS.column().alias("delivery_delay_days"),
        metrics.IS_LATE.column().alias("is_late"),
        F.col("l_returnflag").alias("return_flag"),
        F.col("l_linestatus").alias("line_status"),
        F.col("l_shipmode").alias("ship_mode"),
        F.col("l_shipinstruct").alias("ship_instruct"),
        F.col("o_orderstatus").alias("order_status"),
        F.col("o_orderpriority").alias("order_priority"),
        _max_updated_at("l_updated_at", "o_updated_at", "c_updated_at", "s_updated_at").alias("updated_at"),
    )
    return conform(facts, GOLD_TABLES["fact_sales"])


def build_fact_orders(orders: DataFrame, customer: DataFrame, fact_sales: DataFrame) -> DataFrame:
    """Orders with their lines rolled up (an order without lines gets zero counts and sums)."""
    from pyspark.sql import functions as F

    rollup = fact_sales.groupBy("order_key").agg(
        F.count(F.lit(1)).alias("line_count"),
        F.sum("quantity").alias("total_quantity"),
        F.sum("extended_price").alias("gross_revenue"),
        F.sum("net_revenue").alias("net_revenue"),
        F.sum("tax_amount").alias("tax_amount"),
        F.sum("is_late").alias("late_line_count"),
        F.sum(metrics.IS_RETURNED.column(returnflag="return_flag")).alias("returned_line_count"),
        F.min("ship_date").alias("first_ship_date"),
        F.max("receipt_date").alias("last_receipt_date"),
        F.max("updated_at").alias("lines_updated_at"),
    )
    c = customer.select("c_custkey", "c_nationkey", F.col("updated_at").alias("c_updated_at"))
    joined = (
        orders.join(c, F.col("o_custkey") == F.col("c_custkey"))
        .join(rollup, F.col("o_orderkey") == F.col("order_key"), "left")
        .drop("order_key")
    )
    zero = F.lit(0)
    facts = joined.select(
        F.col("o_orderkey").alias("order_key"),
        F.col("o_custkey").alias("customer_key"),
        F.col("c_nationkey").alias("customer_nation_key"),
        F.col("o_orderdate").alias("order_date"),
        date_key("o_orderdate").alias("order_date_key"),
        F.col("o_orderstatus").alias("order_status"),
        F.col("o_orderpriority").alias("order_priority"),
        F.col("o_clerk").alias("clerk"),
        F.col("o_shippriority").alias("ship_priority"),
        F.col("o_totalprice").alias("total_price"),
        F.coalesce("line_count", zero).alias("line_count"),
        F.coalesce("total_quantity", zero).alias("total_quantity"),
        F.coalesce("gross_revenue", zero).alias("gross_revenue"),
        F.coalesce("net_revenue", zero).alias("net_revenue"),
        F.coalesce("tax_amount", zero).alias("tax_amount"),
        F.coalesce("late_line_count", zero).alias("late_line_count"),
        F.coalesce("returned_line_count", zero).alias("returned_line_count"),
        "first_ship_date",
        "last_receipt_date",
        # greatest() skips NULLs: an order without lines has no lines_updated_at
        F.greatest("updated_at", "c_updated_at", "lines_updated_at").alias("updated_at"),
    )
    return conform(facts, GOLD_TABLES["fact_orders"])


def build_dim_customer(customer: DataFrame, geography: DataFrame, fact_orders: DataFrame) -> DataFrame:
    """Customers with geography and churn signals relative to the data's max order date.

    Windows: last = (as_of - 182 d, as_of], previous = (as_of - 364 d, as_of - 182 d]. The rule
    itself is ``metrics.IS_AT_RISK``.
    """
    from pyspark.sql import functions as F

    window = metrics.TREND_WINDOW_DAYS
    as_of = fact_orders.agg(
        F.max("order_date").alias("as_of_date"), F.max("updated_at").alias("orders_updated_at")
    )
    orders = fact_orders.crossJoin(F.broadcast(as_of))
    last_from = F.date_sub("as_of_date", window)
    prev_from = F.date_sub("as_of_date", 2 * window)
    stats = orders.groupBy("customer_key").agg(
        F.min("order_date").alias("first_order_date"),
        F.max("order_date").alias("last_order_date"),
        F.count(F.lit(1)).alias("order_count"),
        F.sum("net_revenue").alias("lifetime_revenue"),
        F.sum(F.when(F.col("order_date") > last_from, 1).otherwise(0)).alias("orders_last_6m"),
        F.sum(
            F.when((F.col("order_date") > prev_from) & (F.col("order_date") <= last_from), 1).otherwise(0)
        ).alias("orders_prev_6m"),
    )
    g = geography.alias("g")
    base = (
        customer.alias("c")
        .join(F.broadcast(g), F.col("c.c_nationkey") == F.col("g.nation_key"))
        .join(stats, F.col("c.c_custkey") == stats.customer_key, "left")
        .crossJoin(F.broadcast(as_of))
        .select(
            F.col("c.c_custkey").alias("customer_key"),
            F.col("c.c_name").alias("customer_name"),
            F.col("c.c_address").alias("address"),
            F.col("c.c_phone").alias("phone"),
            F.col("c.c_acctbal").alias("account_balance"),
            F.col("c.c_mktsegment").alias("market_segment"),
            "g.nation_key",
            "g.nation_name",
            "g.region_key",
            "g.region_name",
            "first_order_date",
            "last_order_date",
            F.coalesce("order_count", F.lit(0)).alias("order_count"),
            F.coalesce("lifetime_revenue", F.lit(0)).alias("lifetime_revenue"),
            "as_of_date",
            F.coalesce("orders_last_6m", F.lit(0)).alias("orders_last_6m"),
            F.coalesce("orders_prev_6m", F.lit(0)).alias("orders_prev_6m"),
            F.greatest("c.updated_at", "g.updated_at", "orders_updated_at").alias("updated_at"),
        )
    )
    signals = (
        base.withColumn(
            "avg_basket",
            F.when(F.col("order_count") > 0, F.col("lifetime_revenue") / F.col("order_count")),
        )
        .withColumn("recency_days", metrics.RECENCY_DAYS.column())
        .withColumn("frequency_trend", F.col("orders_last_6m") - F.col("orders_prev_6m"))
        .withColumn("is_at_risk", metrics.IS_AT_RISK.column())
    )
    return conform(signals, GOLD_TABLES["dim_customer"])
