"""Gold tables: the star schema and the business aggregates, as contracts.

Gold is rebuilt from silver by ``gladiator.transforms.gold`` and loaded into the warehouse by
``gold_to_warehouse``; the warehouse DDL and business views are generated from these contracts.
Table and column names are final (the warehouse keeps them).

Conventions
- Dimensions are SCD type 1 keyed by the source natural key (``customer_key`` = ``c_custkey``):
  TPC-H keys are stable, so no surrogate key is needed and facts join without a lookup.
- Date keys are ``yyyymmdd`` integers joining ``dim_date.date_key``; facts also keep the dates.
- Flags are ``int`` 0/1 (the contract model has no boolean; 0/1 also sums into counts).
- Money keeps its exact scale: ``net_revenue`` = extendedprice x (1 - discount) has scale 4,
  ``tax_amount`` = net_revenue x tax has scale 6, so sums equal an independent engine's exactly.
  Ratios and averages are rounded to the declared scale (compare with a tolerance).
- ``updated_at`` of a gold row = the newest ``updated_at`` of every silver row that can change it
  (facts: the line, its order and customer; ``dim_customer``: the customer, and all orders since
  ``as_of_date`` moves with them; aggregates: the rows of the group, or of the whole input when a
  figure is relative to it). Source versions only grow (silver's ordering guard), so a changed gold
  row always has a newer ``updated_at``: the warehouse MERGE may use it as its ordering guard.
- Metric formulas (net revenue, lateness, churn) live in ``gladiator.metrics``.
"""

from __future__ import annotations

from enum import StrEnum

from gladiator.contracts.model import Column, Contract, DerivedColumn


class GoldKind(StrEnum):
    FACT = "fact"
    DIMENSION = "dimension"
    AGGREGATE = "aggregate"


class WriteMode(StrEnum):
    """How silver_to_gold writes a table (both idempotent per batch, see glue_jobs/silver_to_gold)."""

    MERGE = "merge"  # upsert changed rows on the primary key (newer updated_at), delete vanished ones
    OVERWRITE = "overwrite"  # replace the whole (small, fully derived) table


def _c(
    name: str, type_: str, description: str = "", *, nullable: bool = False, length: int | None = None
) -> Column:
    return Column(name=name, type=type_, nullable=nullable, max_length=length, description=description)


def _key(name: str, description: str = "", *, nullable: bool = False) -> Column:
    return _c(name, "bigint", description, nullable=nullable)


def _date_key(name: str, description: str = "", *, nullable: bool = False) -> Column:
    return _c(name, "int", description or f"yyyymmdd, joins dim_date.date_key ({name})", nullable=nullable)


def _count(name: str, description: str = "") -> Column:
    return _c(name, "bigint", description)


def _text(name: str, length: int, description: str = "", *, nullable: bool = False) -> Column:
    return _c(name, "string", description, nullable=nullable, length=length)


MONEY = "decimal(15,2)"  # a source amount (contract type)
NET = "decimal(18,4)"  # one line's net revenue (exact)
TAX = "decimal(18,6)"  # one line's tax amount (exact)
SUM_MONEY = "decimal(22,2)"
SUM_NET = "decimal(22,4)"
SUM_TAX = "decimal(22,6)"
RATIO = "decimal(9,6)"  # 0..1
AVG_DAYS = "decimal(9,2)"
AVG_MONEY = "decimal(18,4)"

UPDATED_AT = _c("updated_at", "timestamp", "newest updated_at of the silver rows this row is built from")

# --- dimensions --------------------------------------------------------------------------------

DIM_DATE = Contract(
    name="dim_date",
    description="Calendar: one row per day from the first to the last date found in orders/lineitem.",
    columns=(
        _date_key("date_key", "yyyymmdd"),
        _c("date", "date"),
        _c("year", "int"),
        _c("quarter", "int", "1..4"),
        _c("month", "int", "1..12"),
        _text("month_name", 9, "January..December"),
        _text("year_month", 7, "YYYY-MM"),
        _c("day_of_month", "int"),
        _c("day_of_week", "int", "ISO: 1 = Monday .. 7 = Sunday"),
        _text("day_name", 9, "Monday..Sunday"),
        _c("week_of_year", "int", "ISO week"),
        _c("is_weekend", "int", "1 on Saturday and Sunday"),
        UPDATED_AT,
    ),
    primary_key=("date_key",),
    sort_keys=("date_key",),
)

DIM_GEOGRAPHY = Contract(
    name="dim_geography",
    description="Nation with its region (one row per nation).",
    columns=(
        _key("nation_key"),
        _text("nation_name", 25),
        _key("region_key"),
        _text("region_name", 25),
        UPDATED_AT,
    ),
    primary_key=("nation_key",),
    sort_keys=("nation_key",),
)

DIM_PART = Contract(
    name="dim_part",
    description="Parts (one row per part).",
    columns=(
        _key("part_key"),
        _text("part_name", 55),
        _text("manufacturer", 25),
        _text("brand", 10),
        _text("part_type", 25),
        _c("size", "int"),
        _text("container", 10),
        _c("retail_price", MONEY),
        UPDATED_AT,
    ),
    primary_key=("part_key",),
    cluster_by=("brand",),
    dist_key="part_key",
    sort_keys=("part_key",),
)

DIM_SUPPLIER = Contract(
    name="dim_supplier",
    description="Suppliers with their geography (one row per supplier).",
    columns=(
        _key("supplier_key"),
        _text("supplier_name", 25),
        _text("address", 40),
        _text("phone", 15),
        _c("account_balance", MONEY),
        _key("nation_key"),
        _text("nation_name", 25),
        _key("region_key"),
        _text("region_name", 25),
        UPDATED_AT,
    ),
    primary_key=("supplier_key",),
    cluster_by=("nation_key",),
    sort_keys=("supplier_key",),
)

DIM_CUSTOMER = Contract(
    name="dim_customer",
    description=(
        "Customers with geography and churn signals (one row per customer, also those without "
        "orders). Signals are relative to as_of_date = the data's max order date. is_at_risk rule "
        "(gladiator.metrics.IS_AT_RISK): the customer has ordered, and either has not ordered for "
        "more than 180 days, or ordered in the previous 182-day window and at most half as often "
        "in the last 182-day window."
    ),
    columns=(
        _key("customer_key"),
        _text("customer_name", 25),
        _text("address", 40),
        _text("phone", 15),
        _c("account_balance", MONEY),
        _text("market_segment", 10),
        _key("nation_key"),
        _text("nation_name", 25),
        _key("region_key"),
        _text("region_name", 25),
        _c("first_order_date", "date", "NULL: never ordered", nullable=True),
        _c("last_order_date", "date", "NULL: never ordered", nullable=True),
        _count("order_count"),
        _c("lifetime_revenue", SUM_NET, "sum of net_revenue of all the customer's lines"),
        _c("avg_basket", AVG_MONEY, "lifetime_revenue / order_count; NULL: never ordered", nullable=True),
        _c("as_of_date", "date", "the data's max order date, reference of the signals below"),
        _c("recency_days", "int", "as_of_date - last_order_date; NULL: never ordered", nullable=True),
        _count("orders_last_6m", "orders in (as_of_date - 182 days, as_of_date]"),
        _count("orders_prev_6m", "orders in (as_of_date - 364 days, as_of_date - 182 days]"),
        _count("frequency_trend", "orders_last_6m - orders_prev_6m (negative: slowing down)"),
        _c("is_at_risk", "int", "1 when the churn rule holds (see table description)"),
        UPDATED_AT,
    ),
    primary_key=("customer_key",),
    cluster_by=("nation_key",),
    dist_key="customer_key",
    sort_keys=("customer_key",),
)

# --- facts -------------------------------------------------------------------------------------

_ORDER_YEAR = (DerivedColumn(name="_order_year", expression="year(order_date)"),)

FACT_SALES = Contract(
    name="fact_sales",
    description="Sales at order-line grain (lineitem joined to its order and customer).",
    columns=(
        _key("order_key"),
        _c("line_number", "int"),
        _key("customer_key"),
        _key("part_key"),
        _key("supplier_key"),
        _key("customer_nation_key", "dim_geography of the customer"),
        _key("supplier_nation_key", "dim_geography of the supplier"),
        _c("order_date", "date"),
        _date_key("order_date_key"),
        _c("ship_date", "date"),
        _date_key("ship_date_key"),
        _c("commit_date", "date"),
        _date_key("commit_date_key"),
        _c("receipt_date", "date"),
        _date_key("receipt_date_key"),
        _c("quantity", MONEY),
        _c("extended_price", MONEY),
        _c("discount", MONEY, "fraction 0..0.10"),
        _c("tax_rate", MONEY, "fraction 0..0.08"),
        _c("net_revenue", NET, "extended_price x (1 - discount)"),
        _c("tax_amount", TAX, "net_revenue x tax_rate"),
        _c("ship_lag_days", "int", "ship_date - order_date"),
        _c("delivery_delay_days", "int", "receipt_date - commit_date (> 0: late)"),
        _c("is_late", "int", "1 when receipt_date > commit_date"),
        _text("return_flag", 1, "R returned, A accepted, N not yet"),
        _text("line_status", 1),
        _text("ship_mode", 10),
        _text("ship_instruct", 25),
        _text("order_status", 1),
        _text("order_priority", 15),
        UPDATED_AT,
    ),
    primary_key=("order_key", "line_number"),
    partition_by=_ORDER_YEAR,
    cluster_by=("order_date", "customer_key"),
    dist_key="order_key",
    sort_keys=("order_date",),
)

FACT_ORDERS = Contract(
    name="fact_orders",
    description="Orders (one row per order) with their lines rolled up.",
    columns=(
        _key("order_key"),
        _key("customer_key"),
        _key("customer_nation_key"),
        _c("order_date", "date"),
        _date_key("order_date_key"),
        _text("order_status", 1),
        _text("order_priority", 15),
        _text("clerk", 15),
        _c("ship_priority", "int"),
        _c("total_price", MONEY, "as recorded on the order"),
        _count("line_count"),
        _c("total_quantity", SUM_MONEY),
        _c("gross_revenue", SUM_MONEY, "sum of extended_price"),
        _c("net_revenue", SUM_NET),
        _c("tax_amount", SUM_TAX),
        _count("late_line_count"),
        _count("returned_line_count"),
        _c("first_ship_date", "date", "NULL: order without lines", nullable=True),
        _c("last_receipt_date", "date", "NULL: order without lines", nullable=True),
        UPDATED_AT,
    ),
    primary_key=("order_key",),
    partition_by=_ORDER_YEAR,
    cluster_by=("order_date", "customer_key"),
    dist_key="order_key",
    sort_keys=("order_date",),
)

# --- aggregates (dashboards) -------------------------------------------------------------------

AGG_REVENUE_MONTHLY = Contract(
    name="agg_revenue_monthly",
    description="Revenue by order month x customer region x market segment.",
    columns=(
        _c("order_year", "int"),
        _c("order_month", "int"),
        _c("month_start", "date"),
        _key("region_key"),
        _text("region_name", 25),
        _text("market_segment", 10),
        _count("order_count"),
        _count("customer_count", "distinct ordering customers"),
        _count("line_count"),
        _c("quantity", SUM_MONEY),
        _c("gross_revenue", SUM_MONEY),
        _c("net_revenue", SUM_NET),
        _c("tax_amount", SUM_TAX),
        _c("avg_basket", AVG_MONEY, "net_revenue / order_count"),
        UPDATED_AT,
    ),
    primary_key=("order_year", "order_month", "region_key", "market_segment"),
    sort_keys=("order_year", "order_month"),
)

_SUPPLIER_PERF = (
    _count("line_count"),
    _count("late_line_count", "lines received after their commit date"),
    _c("late_shipment_ratio", RATIO, "late_line_count / line_count"),
    _c("avg_ship_lag_days", AVG_DAYS, "mean of ship_date - order_date"),
    _c("avg_delivery_delay_days", AVG_DAYS, "mean of receipt_date - commit_date (signed)"),
    _c("avg_days_late", AVG_DAYS, "mean delay of the late lines; NULL: none late", nullable=True),
    _c("net_revenue", SUM_NET),
    UPDATED_AT,
)

AGG_SUPPLIER_PERFORMANCE = Contract(
    name="agg_supplier_performance",
    description="Delivery performance per supplier (with its nation and region).",
    columns=(
        _key("supplier_key"),
        _text("supplier_name", 25),
        _key("nation_key"),
        _text("nation_name", 25),
        _text("region_name", 25),
        *_SUPPLIER_PERF,
    ),
    primary_key=("supplier_key",),
    sort_keys=("supplier_key",),
)

AGG_SUPPLIER_NATION_PERFORMANCE = Contract(
    name="agg_supplier_nation_performance",
    description="Delivery performance of the suppliers of each nation.",
    columns=(
        _key("nation_key"),
        _text("nation_name", 25),
        _text("region_name", 25),
        _count("supplier_count", "suppliers with at least one line"),
        *_SUPPLIER_PERF,
    ),
    primary_key=("nation_key",),
    sort_keys=("nation_key",),
)

AGG_SHIPMODE_EFFICIENCY = Contract(
    name="agg_shipmode_efficiency",
    description="Shipping-mode efficiency by ship year x ship mode.",
    columns=(
        _c("ship_year", "int"),
        _text("ship_mode", 10),
        _count("line_count"),
        _count("late_line_count"),
        _c("late_shipment_ratio", RATIO),
        _c("avg_transit_days", AVG_DAYS, "mean of receipt_date - ship_date"),
        _c("avg_ship_lag_days", AVG_DAYS, "mean of ship_date - order_date"),
        _c("avg_delivery_delay_days", AVG_DAYS, "mean of receipt_date - commit_date"),
        _c("quantity", SUM_MONEY),
        _c("net_revenue", SUM_NET),
        UPDATED_AT,
    ),
    primary_key=("ship_year", "ship_mode"),
    sort_keys=("ship_year",),
)

AGG_RETURN_RATE = Contract(
    name="agg_return_rate",
    description="Return rate by part type x brand (returned = return_flag 'R'; rate over all lines).",
    columns=(
        _text("part_type", 25),
        _text("brand", 10),
        _count("line_count"),
        _count("returned_line_count"),
        _c("return_rate", RATIO, "returned_line_count / line_count"),
        _c("returned_quantity", SUM_MONEY),
        _c("net_revenue", SUM_NET),
        _c("returned_net_revenue", SUM_NET),
        UPDATED_AT,
    ),
    primary_key=("part_type", "brand"),
    sort_keys=("part_type",),
)

AGG_ORDER_STATUS_MIX = Contract(
    name="agg_order_status_mix",
    description="Order status x priority mix by order year.",
    columns=(
        _c("order_year", "int"),
        _text("order_status", 1),
        _text("order_priority", 15),
        _count("order_count"),
        _c("order_share", RATIO, "order_count / orders of the year"),
        _c("total_price", SUM_MONEY),
        _c("net_revenue", SUM_NET),
        _c("avg_lines_per_order", AVG_DAYS, "line_count / order_count"),
        _count("line_count"),
        UPDATED_AT,
    ),
    primary_key=("order_year", "order_status", "order_priority"),
    sort_keys=("order_year",),
)

AGG_COHORT_RETENTION = Contract(
    name="agg_cohort_retention",
    description="Customer cohorts by first-order year: who is still ordering in each later year.",
    columns=(
        _c("cohort_year", "int", "year of the customer's first order"),
        _c("activity_year", "int", ">= cohort_year"),
        _c("years_since_first_order", "int"),
        _count("cohort_size", "customers whose first order is in cohort_year"),
        _count("active_customers", "of those, customers with an order in activity_year"),
        _c("retention_rate", RATIO, "active_customers / cohort_size"),
        _count("order_count"),
        _c("net_revenue", SUM_NET),
        UPDATED_AT,
    ),
    primary_key=("cohort_year", "activity_year"),
    sort_keys=("cohort_year", "activity_year"),
)

# Build order: dimensions, facts, then the aggregates (built from the facts and dimensions).
GOLD_TABLES: dict[str, Contract] = {
    c.name: c
    for c in (
        DIM_DATE,
        DIM_GEOGRAPHY,
        DIM_PART,
        DIM_SUPPLIER,
        DIM_CUSTOMER,
        FACT_SALES,
        FACT_ORDERS,
        AGG_REVENUE_MONTHLY,
        AGG_SUPPLIER_PERFORMANCE,
        AGG_SUPPLIER_NATION_PERFORMANCE,
        AGG_SHIPMODE_EFFICIENCY,
        AGG_RETURN_RATE,
        AGG_ORDER_STATUS_MIX,
        AGG_COHORT_RETENTION,
    )
}

GOLD_TABLE_NAMES: tuple[str, ...] = tuple(GOLD_TABLES)


def get_gold_contract(name: str) -> Contract:
    """The contract of gold table ``name``; raises KeyError listing the known tables."""
    try:
        return GOLD_TABLES[name]
    except KeyError:
        raise KeyError(f"unknown gold table {name!r}; known: {', '.join(GOLD_TABLE_NAMES)}") from None


def gold_kind(name: str) -> GoldKind:
    """fact / dimension / aggregate, from the table name's prefix."""
    get_gold_contract(name)
    if name.startswith("fact_"):
        return GoldKind.FACT
    if name.startswith("dim_"):
        return GoldKind.DIMENSION
    return GoldKind.AGGREGATE


def write_mode(name: str) -> WriteMode:
    """Facts are large and change a little per batch: MERGE. Dimensions and aggregates: overwrite."""
    return WriteMode.MERGE if gold_kind(name) is GoldKind.FACT else WriteMode.OVERWRITE
