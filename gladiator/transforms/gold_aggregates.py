"""Gold -> gold: the dashboard aggregates, built from the facts and dimensions. Pure functions.

Ratios use ``gladiator.metrics`` and are rounded to the contract scale by ``conform``
(Spark decimal casts round half up). Every aggregate keeps the counts behind its ratios
(``line_count``, ``late_line_count``...) so dashboards can roll them up correctly. Their inputs
are wired in ``gold_registry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gladiator import metrics
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.transforms.gold import conform

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def _ratio(numerator: str, denominator: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(numerator).cast("decimal(20,6)") / F.col(denominator)


def _delivery_figures() -> list[Column]:
    """Aggregations shared by the supplier and ship-mode tables (over fact_sales rows)."""
    from pyspark.sql import functions as F

    return [
        F.count(F.lit(1)).alias("line_count"),
        F.sum("is_late").alias("late_line_count"),
        F.avg("ship_lag_days").alias("avg_ship_lag_days"),
        F.avg("delivery_delay_days").alias("avg_delivery_delay_days"),
        F.avg(F.when(F.col("is_late") == 1, F.col("delivery_delay_days"))).alias("avg_days_late"),
        F.sum("net_revenue").alias("net_revenue"),
        F.max("updated_at").alias("updated_at"),
    ]


def build_revenue_monthly(
    fact_sales: DataFrame, dim_customer: DataFrame, dim_geography: DataFrame
) -> DataFrame:
    """Revenue by order month x customer region x market segment.

    ``updated_at``: the lines' (which include their customer's version) and the regions'.
    """
    from pyspark.sql import functions as F

    c = dim_customer.select(F.col("customer_key").alias("c_key"), "market_segment")
    g = dim_geography.select(
        F.col("nation_key").alias("g_key"),
        "region_key",
        "region_name",
        F.col("updated_at").alias("g_updated_at"),
    )
    lines = fact_sales.join(F.broadcast(c), F.col("customer_key") == F.col("c_key")).join(
        F.broadcast(g), F.col("customer_nation_key") == F.col("g_key")
    )
    grouped = lines.groupBy(
        F.year("order_date").alias("order_year"),
        F.month("order_date").alias("order_month"),
        "region_key",
        "region_name",
        "market_segment",
    ).agg(
        F.countDistinct("order_key").alias("order_count"),
        F.countDistinct("customer_key").alias("customer_count"),
        F.count(F.lit(1)).alias("line_count"),
        F.sum("quantity").alias("quantity"),
        F.sum("extended_price").alias("gross_revenue"),
        F.sum("net_revenue").alias("net_revenue"),
        F.sum("tax_amount").alias("tax_amount"),
        metrics.AVERAGE_BASKET.column().alias("avg_basket"),
        F.max(F.greatest("updated_at", "g_updated_at")).alias("updated_at"),
    )
    result = grouped.withColumn("month_start", F.make_date("order_year", "order_month", F.lit(1)))
    return conform(result, GOLD_TABLES["agg_revenue_monthly"])


def build_supplier_performance(fact_sales: DataFrame, dim_supplier: DataFrame) -> DataFrame:
    """Delivery performance per supplier (suppliers with at least one line)."""
    from pyspark.sql import functions as F

    per_supplier = fact_sales.groupBy("supplier_key").agg(*_delivery_figures())
    s = dim_supplier.select(
        F.col("supplier_key").alias("s_key"),
        "supplier_name",
        "nation_key",
        "nation_name",
        "region_name",
        F.col("updated_at").alias("s_updated_at"),
    )
    result = (
        per_supplier.join(F.broadcast(s), F.col("supplier_key") == F.col("s_key"))
        .withColumn("late_shipment_ratio", _ratio("late_line_count", "line_count"))
        .withColumn("updated_at", F.greatest("updated_at", "s_updated_at"))
    )
    return conform(result, GOLD_TABLES["agg_supplier_performance"])


def build_supplier_nation_performance(fact_sales: DataFrame, dim_geography: DataFrame) -> DataFrame:
    """Delivery performance of the suppliers of each nation."""
    from pyspark.sql import functions as F

    per_nation = fact_sales.groupBy(F.col("supplier_nation_key").alias("nation_key")).agg(
        F.countDistinct("supplier_key").alias("supplier_count"), *_delivery_figures()
    )
    g = dim_geography.select(
        F.col("nation_key").alias("g_key"),
        "nation_name",
        "region_name",
        F.col("updated_at").alias("g_updated_at"),
    )
    result = (
        per_nation.join(F.broadcast(g), F.col("nation_key") == F.col("g_key"))
        .withColumn("late_shipment_ratio", _ratio("late_line_count", "line_count"))
        .withColumn("updated_at", F.greatest("updated_at", "g_updated_at"))
    )
    return conform(result, GOLD_TABLES["agg_supplier_nation_performance"])


def build_shipmode_efficiency(fact_sales: DataFrame) -> DataFrame:
    """Shipping-mode efficiency by ship year x ship mode."""
    from pyspark.sql import functions as F

    transit = metrics.TRANSIT_DAYS.column(shipdate="ship_date", receiptdate="receipt_date")
    grouped = fact_sales.groupBy(F.year("ship_date").alias("ship_year"), "ship_mode").agg(
        F.count(F.lit(1)).alias("line_count"),
        F.sum("is_late").alias("late_line_count"),
        F.avg(transit).alias("avg_transit_days"),
        F.avg("ship_lag_days").alias("avg_ship_lag_days"),
        F.avg("delivery_delay_days").alias("avg_delivery_delay_days"),
        F.sum("quantity").alias("quantity"),
        F.sum("net_revenue").alias("net_revenue"),
        F.max("updated_at").alias("updated_at"),
    )
    result = grouped.withColumn("late_shipment_ratio", _ratio("late_line_count", "line_count"))
    return conform(result, GOLD_TABLES["agg_shipmode_efficiency"])


def build_return_rate(fact_sales: DataFrame, dim_part: DataFrame) -> DataFrame:
    """Return rate (return flag 'R' over all lines) by part type x brand."""
    from pyspark.sql import functions as F

    p = dim_part.select(
        F.col("part_key").alias("p_key"), "part_type", "brand", F.col("updated_at").alias("p_updated_at")
    )
    returned = metrics.IS_RETURNED.column(returnflag="return_flag")
    lines = fact_sales.join(p, F.col("part_key") == F.col("p_key")).withColumn("is_returned", returned)
    grouped = lines.groupBy("part_type", "brand").agg(
        F.count(F.lit(1)).alias("line_count"),
        F.sum("is_returned").alias("returned_line_count"),
        F.sum(F.when(F.col("is_returned") == 1, F.col("quantity")).otherwise(0)).alias("returned_quantity"),
        F.sum("net_revenue").alias("net_revenue"),
        F.sum(F.when(F.col("is_returned") == 1, F.col("net_revenue")).otherwise(0)).alias(
            "returned_net_revenue"
        ),
        F.max(F.greatest("updated_at", "p_updated_at")).alias("updated_at"),
    )
    result = grouped.withColumn("return_rate", _ratio("returned_line_count", "line_count"))
    return conform(result, GOLD_TABLES["agg_return_rate"])


def build_order_status_mix(fact_orders: DataFrame) -> DataFrame:
    """Order status x priority by order year, with each cell's share of the year's orders."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    grouped = fact_orders.groupBy(
        F.year("order_date").alias("order_year"), "order_status", "order_priority"
    ).agg(
        F.count(F.lit(1)).alias("order_count"),
        F.sum("total_price").alias("total_price"),
        F.sum("net_revenue").alias("net_revenue"),
        F.sum("line_count").alias("line_count"),
        F.max("updated_at").alias("cell_updated_at"),
    )
    year = Window.partitionBy("order_year")
    result = (
        grouped.withColumn("year_orders", F.sum("order_count").over(year))
        .withColumn("order_share", _ratio("order_count", "year_orders"))
        .withColumn("avg_lines_per_order", _ratio("line_count", "order_count"))
        # the share depends on every cell of the year
        .withColumn("updated_at", F.max("cell_updated_at").over(year))
    )
    return conform(result, GOLD_TABLES["agg_order_status_mix"])


def build_cohort_retention(fact_orders: DataFrame) -> DataFrame:
    """Cohorts by first-order year; for each later year, the cohort's customers still ordering."""
    from pyspark.sql import functions as F

    orders = fact_orders.select(
        "customer_key", F.year("order_date").alias("activity_year"), "net_revenue", "updated_at"
    )
    cohorts = orders.groupBy("customer_key").agg(F.min("activity_year").alias("cohort_year"))
    sizes = cohorts.groupBy("cohort_year").agg(F.count(F.lit(1)).alias("cohort_size"))
    activity = (
        orders.join(cohorts, "customer_key")
        .groupBy("cohort_year", "activity_year")
        .agg(
            F.countDistinct("customer_key").alias("active_customers"),
            F.count(F.lit(1)).alias("order_count"),
            F.sum("net_revenue").alias("net_revenue"),
        )
    )
    # membership of a cohort depends on every order of its customers: table-wide version
    newest = fact_orders.agg(F.max("updated_at").alias("updated_at"))
    result = (
        activity.join(sizes, "cohort_year")
        .crossJoin(F.broadcast(newest))
        .withColumn("years_since_first_order", F.col("activity_year") - F.col("cohort_year"))
        .withColumn("retention_rate", _ratio("active_customers", "cohort_size"))
    )
    return conform(result, GOLD_TABLES["agg_cohort_retention"])
