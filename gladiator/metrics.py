"""Business metric definitions: one formula, used by gold, the streaming KPIs and the dashboards.

Each metric is SQL text with ``{placeholders}`` for its input columns (defaults: the silver/contract
column names, e.g. ``l_extendedprice``), rendered per dialect, so:

- Spark (batch gold and Structured Streaming) uses ``metric.column(...)`` = ``F.expr(metric.sql("spark"))``;
- the independent DuckDB checks and the PostgreSQL/Redshift views use ``metric.sql(dialect)``.

Only date arithmetic differs between dialects (Spark ``datediff(end, start)``, DuckDB/PostgreSQL
``end - start`` in days, Redshift ``DATEDIFF(day, start, end)``); everything else is shared SQL.

Definitions (units in brackets):
- ``NET_REVENUE`` [currency, scale 4, exact] = extendedprice x (1 - discount);
- ``TAX_AMOUNT`` [currency, scale 6, exact] = net revenue x tax;
- ``SHIP_LAG_DAYS`` [days] = ship date - order date;
- ``DELIVERY_DELAY_DAYS`` [days, signed] = receipt date - commit date;
- ``TRANSIT_DAYS`` [days] = receipt date - ship date;
- ``IS_LATE`` [0/1] = 1 when the receipt date is after the commit date;
- ``IS_RETURNED`` [0/1] = 1 when the return flag is 'R';
- ``AVERAGE_BASKET`` [currency / order] = sum of net revenue / number of distinct orders;
- ``LATE_SHIPMENT_RATIO`` / ``RETURN_RATE`` [0..1] = flagged lines / lines;
- churn: ``RECENCY_DAYS`` = as-of date - last order date; ``IS_AT_RISK`` (see its description).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pyspark.sql import Column

Dialect = Literal["spark", "duckdb", "postgres", "redshift"]
DIALECTS: tuple[Dialect, ...] = ("spark", "duckdb", "postgres", "redshift")

# Churn rule parameters (documented in gladiator/contracts/gold.py, dim_customer).
AT_RISK_RECENCY_DAYS = 180  # no order for more than this many days: at risk
TREND_WINDOW_DAYS = 182  # "6 months" as a fixed number of days: the same in every engine
TREND_DROP_FACTOR = 2  # last window at most 1/2 of the previous one: at risk

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def days_between(start: str, end: str, dialect: Dialect) -> str:
    """SQL for the whole days from ``start`` to ``end`` (both DATE expressions; end - start)."""
    if dialect == "spark":
        return f"datediff({end}, {start})"
    if dialect == "redshift":
        return f"DATEDIFF(day, {start}, {end})"
    return f"CAST(({end}) - ({start}) AS INTEGER)"  # duckdb, postgres: date - date = days


@dataclass(frozen=True, kw_only=True)
class Metric:
    """A named formula over input columns.

    ``template`` is SQL with ``{input}`` placeholders and optional dialect functions written as
    ``{days(start_placeholder,end_placeholder)}``; ``inputs`` maps each placeholder to its
    default column (silver names). ``aggregate`` metrics must be used in a GROUP BY context.
    """

    name: str
    description: str
    unit: str
    template: str
    inputs: dict[str, str] = field(default_factory=dict)
    aggregate: bool = False

    def sql(self, dialect: Dialect = "spark", **columns: str) -> str:
        """The metric as SQL text in ``dialect``, inputs bound to ``columns`` (or the defaults)."""
        unknown = set(columns) - set(self.inputs)
        if unknown:
            raise ValueError(
                f"metric {self.name}: unknown inputs {sorted(unknown)}; has {sorted(self.inputs)}"
            )
        bound = {**self.inputs, **columns}
        text = re.sub(
            r"\{days\((\w+),(\w+)\)\}",
            lambda m: days_between(f"{{{m.group(1)}}}", f"{{{m.group(2)}}}", dialect),
            self.template,
        )
        return _PLACEHOLDER.sub(lambda m: bound[m.group(1)], text)

    def column(self, **columns: str) -> Column:
        """The metric as a Spark Column (the Spark SQL text through ``F.expr``)."""
        from pyspark.sql import functions as F

        return F.expr(self.sql("spark", **columns))


NET_REVENUE = Metric(
    name="net_revenue",
    description="Revenue after discount of one order line: extendedprice x (1 - discount).",
    unit="currency (exact, scale 4)",
    template="({extendedprice} * (1 - {discount}))",
    inputs={"extendedprice": "l_extendedprice", "discount": "l_discount"},
)

TAX_AMOUNT = Metric(
    name="tax_amount",
    description="Tax charged on one order line: net revenue x tax rate.",
    unit="currency (exact, scale 6)",
    template="({extendedprice} * (1 - {discount}) * {tax})",
    inputs={"extendedprice": "l_extendedprice", "discount": "l_discount", "tax": "l_tax"},
)

SHIP_LAG_DAYS = Metric(
    name="ship_lag_days",
    description="Days from the order to the shipment of the line.",
    unit="days",
    template="{days(orderdate,shipdate)}",
    inputs={"orderdate": "o_orderdate", "shipdate": "l_shipdate"},
)

DELIVERY_DELAY_DAYS = Metric(
    name="delivery_delay_days",
    description="Days the line was received after its committed date (negative: early).",
    unit="days",
    template="{days(commitdate,receiptdate)}",
    inputs={"commitdate": "l_commitdate", "receiptdate": "l_receiptdate"},
)

TRANSIT_DAYS = Metric(
    name="transit_days",
    description="Days from shipment to receipt.",
    unit="days",
    template="{days(shipdate,receiptdate)}",
    inputs={"shipdate": "l_shipdate", "receiptdate": "l_receiptdate"},
)

IS_LATE = Metric(
    name="is_late",
    description="1 when the line was received after its commit date, else 0.",
    unit="0/1",
    template="(CASE WHEN {receiptdate} > {commitdate} THEN 1 ELSE 0 END)",
    inputs={"receiptdate": "l_receiptdate", "commitdate": "l_commitdate"},
)

IS_RETURNED = Metric(
    name="is_returned",
    description="1 when the line was returned (return flag 'R'), else 0.",
    unit="0/1",
    template="(CASE WHEN {returnflag} = 'R' THEN 1 ELSE 0 END)",
    inputs={"returnflag": "l_returnflag"},
)

AVERAGE_BASKET = Metric(
    name="avg_basket",
    description="Average net revenue per order: sum of line net revenue / distinct orders.",
    unit="currency per order",
    template="(SUM({net_revenue}) / COUNT(DISTINCT {orderkey}))",
    inputs={"net_revenue": "net_revenue", "orderkey": "order_key"},
    aggregate=True,
)

LATE_SHIPMENT_RATIO = Metric(
    name="late_shipment_ratio",
    description="Share of lines received after their commit date.",
    unit="ratio 0..1",
    template="(CAST(SUM({is_late}) AS DECIMAL(18,6)) / COUNT(*))",
    inputs={"is_late": "is_late"},
    aggregate=True,
)

RETURN_RATE = Metric(
    name="return_rate",
    description="Share of lines returned (return flag 'R') among all lines.",
    unit="ratio 0..1",
    template="(CAST(SUM({is_returned}) AS DECIMAL(18,6)) / COUNT(*))",
    inputs={"is_returned": "is_returned"},
    aggregate=True,
)

RECENCY_DAYS = Metric(
    name="recency_days",
    description="Days since the customer's last order, relative to the as-of date (the data's max order date).",
    unit="days",
    template="{days(last_order_date,as_of_date)}",
    inputs={"last_order_date": "last_order_date", "as_of_date": "as_of_date"},
)

IS_AT_RISK = Metric(
    name="is_at_risk",
    description=(
        "Churn risk (0/1): the customer has ordered, and either has not ordered for more than "
        f"{AT_RISK_RECENCY_DAYS} days, or ordered in the previous {TREND_WINDOW_DAYS}-day window and "
        f"at most 1/{TREND_DROP_FACTOR} as often in the last {TREND_WINDOW_DAYS}-day window."
    ),
    unit="0/1",
    template=(
        "(CASE WHEN {order_count} > 0 AND ({recency_days} > "
        f"{AT_RISK_RECENCY_DAYS} OR ({{orders_prev}} > 0 AND {{orders_last}} * {TREND_DROP_FACTOR} "
        "<= {orders_prev})) THEN 1 ELSE 0 END)"
    ),
    inputs={
        "order_count": "order_count",
        "recency_days": "recency_days",
        "orders_last": "orders_last_6m",
        "orders_prev": "orders_prev_6m",
    },
)

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        NET_REVENUE,
        TAX_AMOUNT,
        SHIP_LAG_DAYS,
        DELIVERY_DELAY_DAYS,
        TRANSIT_DAYS,
        IS_LATE,
        IS_RETURNED,
        AVERAGE_BASKET,
        LATE_SHIPMENT_RATIO,
        RETURN_RATE,
        RECENCY_DAYS,
        IS_AT_RISK,
    )
}
