"""Live KPIs per minute and region: orders, revenue (sum of net revenue), average basket.

Written to DynamoDB (``resources.LIVE_KPIS``: pk ``kpi_key`` = ``<prefix>orders#<region>``,
sk ``window_start`` = ``YYYY-MM-DDTHH:MM:00Z``, TTL ``expires_at``) as per-window TOTALS.

Exactly-once: each micro-batch adds its contribution with a read-modify-write whose conditional
put requires the item's ``last_batch`` to be the one just read (optimistic lock) and lower than
this batch. A replayed batch finds ``last_batch >= batch_id`` and adds nothing; an attempt that
died half-way has written some windows (skipped on replay) and not others (applied on replay).
One stream writes a given kpi prefix (batch ids are per stream).
Revenue is ``gladiator.metrics.NET_REVENUE`` (the formula gold and the dashboards use).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gladiator.metrics import NET_REVENUE
from gladiator.timestamps import utc_now_iso

UNKNOWN_REGION = "UNKNOWN"
WINDOW_FORMAT = "%Y-%m-%dT%H:%M:00Z"


def net_revenue() -> Column:
    """Revenue of a line after discount (decimal, exact): the shared business metric."""
    return NET_REVENUE.column()


def kpi_key(prefix: str, region: str) -> str:
    return f"{prefix}orders#{region}"


def order_totals(orders: DataFrame, lines: DataFrame, customer_regions: DataFrame | None) -> DataFrame:
    """One row per order: region, placement minute, revenue and line count.

    ``orders``/``lines`` are typed contract rows; the placement time is the order's ``updated_at``
    on its ``order_placed`` event.
    """
    revenue = lines.groupBy("l_orderkey").agg(
        F.sum(net_revenue()).alias("revenue"),
        F.count(F.lit(1)).alias("lines"),
    )
    out = orders.select("o_orderkey", "o_custkey", F.date_trunc("minute", "updated_at").alias("window_start"))
    out = out.join(revenue, out.o_orderkey == revenue.l_orderkey, "left")
    if customer_regions is not None:
        out = out.join(F.broadcast(customer_regions), out.o_custkey == customer_regions.c_custkey, "left")
        region = F.coalesce(F.col("r_name"), F.lit(UNKNOWN_REGION))
    else:
        region = F.lit(UNKNOWN_REGION)
    return out.select(
        region.alias("region"),
        "window_start",
        F.coalesce("revenue", F.lit(0)).cast("decimal(38,4)").alias("revenue"),
        F.coalesce("lines", F.lit(0)).alias("lines"),
    )


def window_totals(per_order: DataFrame) -> DataFrame:
    """Orders, revenue and lines per (region, window_start)."""
    return per_order.groupBy("region", "window_start").agg(
        F.count(F.lit(1)).alias("orders"), F.sum("revenue").alias("revenue"), F.sum("lines").alias("lines")
    )


@dataclass(frozen=True)
class Contribution:
    region: str
    window_start: dt.datetime
    orders: int
    revenue: Decimal
    lines: int


def collect_contributions(totals: DataFrame) -> list[Contribution]:
    return [
        Contribution(r["region"], r["window_start"], int(r["orders"]), Decimal(r["revenue"]), int(r["lines"]))
        for r in totals.collect()
    ]


def _window_text(value: dt.datetime) -> str:
    return value.strftime(WINDOW_FORMAT)


def apply_contributions(
    client: Any,
    table: str,
    contributions: list[Contribution],
    *,
    prefix: str,
    stream_name: str,
    batch_id: int,
    ttl_days: int,
) -> tuple[int, int]:
    """Add each contribution to its window total, once per batch. Returns (written, skipped)."""
    written = skipped = 0
    for c in contributions:
        key = {
            "kpi_key": {"S": kpi_key(prefix, c.region)},
            "window_start": {"S": _window_text(c.window_start)},
        }
        for _ in range(20):
            item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            last = int(item["last_batch"]["N"]) if item else -1
            if last >= batch_id:
                skipped += 1
                break
            orders = c.orders + (int(item["orders"]["N"]) if item else 0)
            revenue = c.revenue + (Decimal(item["revenue"]["N"]) if item else Decimal(0))
            lines = c.lines + (int(item["lines"]["N"]) if item else 0)
            expires = int(c.window_start.replace(tzinfo=dt.UTC).timestamp()) + ttl_days * 86400
            new_item = key | {
                "orders": {"N": str(orders)},
                "revenue": {"N": str(revenue)},
                "lines": {"N": str(lines)},
                "avg_basket": {"N": str((revenue / orders).quantize(Decimal("0.01")) if orders else 0)},
                "last_batch": {"N": str(batch_id)},
                "stream": {"S": stream_name},
                "updated_at": {"S": utc_now_iso()},
                "expires_at": {"N": str(expires)},
            }
            condition: dict[str, Any] = (
                {
                    "ConditionExpression": "last_batch = :prev",
                    "ExpressionAttributeValues": {":prev": {"N": str(last)}},
                }
                if item
                else {"ConditionExpression": "attribute_not_exists(kpi_key)"}
            )
            try:
                client.put_item(TableName=table, Item=new_item, **condition)
                written += 1
                break
            except client.exceptions.ConditionalCheckFailedException:
                time.sleep(0.05)  # another attempt wrote in between: read again
        else:
            raise RuntimeError(f"could not update KPI {key} after 20 conditional attempts")
    return written, skipped


def read_window_totals(client: Any, table: str, *, prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every KPI item of ``prefix``: (region, window_start) -> {orders, revenue, lines, avg_basket}."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    kwargs: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "begins_with(kpi_key, :p)",
        "ExpressionAttributeValues": {":p": {"S": f"{prefix}orders#"}},
        "ConsistentRead": True,
    }
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            region = item["kpi_key"]["S"][len(kpi_key(prefix, "")) :]
            out[(region, item["window_start"]["S"])] = {
                "orders": int(item["orders"]["N"]),
                "revenue": Decimal(item["revenue"]["N"]),
                "lines": int(item["lines"]["N"]),
                "avg_basket": Decimal(item["avg_basket"]["N"]),
            }
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
