"""The dashboard's charts: each is one SQL query over a warehouse view, returning rows of
``(x, series, value)``; the page draws exactly those rows (and exposes them as data attributes).

Filters: ``start``/``end`` (first days of months, inclusive) and ``region`` ('ALL' or a region
name). Charts over yearly views filter on the years of the range. Ratios are re-aggregated from the
counts the views keep (sum of flagged lines / sum of lines), never averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

ChartKind = Literal["line", "bar", "hbar", "stacked", "heatmap"]

_REGION = "(%(region)s = 'ALL' OR region_name = %(region)s)"
_MONTHS = "month_start BETWEEN %(start)s AND %(end)s"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    kind: ChartKind
    sql: str  # {schema} placeholder; psycopg named parameters start, end, region
    value_label: str
    filters: tuple[str, ...] = ("date", "region")

    def query(self, schema: str) -> str:
        return self.sql.format(schema=schema)


CHARTS: tuple[Chart, ...] = (
    Chart(
        "revenue_trend",
        "Net revenue by month and region",
        "line",
        f"""SELECT to_char(month_start, 'YYYY-MM') AS x, region_name AS s, SUM(net_revenue) AS v
            FROM {{schema}}.v_revenue_trend WHERE {_MONTHS} AND {_REGION}
            GROUP BY 1, 2 ORDER BY 1, 2""",
        "net revenue",
    ),
    Chart(
        "revenue_by_segment",
        "Net revenue by market segment",
        "bar",
        f"""SELECT market_segment AS x, '' AS s, SUM(net_revenue) AS v
            FROM {{schema}}.v_revenue_trend WHERE {_MONTHS} AND {_REGION}
            GROUP BY 1 ORDER BY 1""",
        "net revenue",
    ),
    Chart(
        "top_customers",
        "Top 10 customers by lifetime net revenue",
        "hbar",
        f"""SELECT customer_name AS x, '' AS s, lifetime_revenue AS v
            FROM {{schema}}.v_top_customers WHERE {_REGION}
            ORDER BY lifetime_revenue DESC, customer_key LIMIT 10""",
        "lifetime net revenue",
        ("region",),
    ),
    Chart(
        "churn_recency",
        "Customers by days since last order (churn signal)",
        "stacked",
        f"""SELECT region_name AS x, b.bucket AS s,
                   SUM(CASE b.bucket WHEN '0-90 d' THEN recency_0_90 WHEN '91-180 d' THEN recency_91_180
                                     WHEN '181-365 d' THEN recency_181_365 ELSE recency_over_365 END) AS v
            FROM {{schema}}.v_churn_signals
            CROSS JOIN (VALUES (1, '0-90 d'), (2, '91-180 d'), (3, '181-365 d'), (4, '> 365 d')) AS b(n, bucket)
            WHERE {_REGION} GROUP BY 1, 2, b.n ORDER BY 1, b.n""",
        "customers",
        ("region",),
    ),
    Chart(
        "at_risk_rate",
        "Share of ordering customers at risk of churn",
        "bar",
        f"""SELECT region_name AS x, '' AS s,
                   ROUND(SUM(at_risk_customers)::numeric / NULLIF(SUM(ordering_customers), 0), 6) AS v
            FROM {{schema}}.v_churn_signals WHERE {_REGION} GROUP BY 1 ORDER BY 1""",
        "at-risk share",
        ("region",),
    ),
    Chart(
        "cohort_retention",
        "Cohort retention: share of each first-order-year cohort still ordering",
        "heatmap",
        """SELECT cohort_year::text AS x, years_since_first_order::text AS s, retention_rate AS v
           FROM {schema}.v_cohort_retention
           WHERE cohort_year BETWEEN extract(year FROM %(start)s::date) AND extract(year FROM %(end)s::date)
           ORDER BY cohort_year, years_since_first_order""",
        "retention",
        ("date",),
    ),
    Chart(
        "supplier_lateness",
        "Late-shipment ratio of suppliers by nation",
        "bar",
        f"""SELECT nation_name AS x, '' AS s,
                   ROUND(SUM(late_line_count)::numeric / SUM(line_count), 6) AS v
            FROM {{schema}}.v_supplier_nation_performance WHERE {_REGION}
            GROUP BY 1 ORDER BY 1""",
        "late ratio",
        ("region",),
    ),
    Chart(
        "shipmode_efficiency",
        "Average transit days by shipping mode",
        "bar",
        """SELECT ship_mode AS x, '' AS s,
                  ROUND(SUM(avg_transit_days * line_count) / SUM(line_count), 2) AS v
           FROM {schema}.v_shipmode_efficiency
           WHERE ship_year BETWEEN extract(year FROM %(start)s::date) AND extract(year FROM %(end)s::date)
           GROUP BY 1 ORDER BY 1""",
        "days (line-weighted)",
        ("date",),
    ),
    Chart(
        "return_rate",
        "Part types with the highest return rate",
        "hbar",
        """SELECT part_type AS x, '' AS s,
                  ROUND(SUM(returned_line_count)::numeric / SUM(line_count), 6) AS v
           FROM {schema}.v_return_rate GROUP BY 1 ORDER BY v DESC, x LIMIT 10""",
        "return rate",
        (),
    ),
    Chart(
        "order_mix",
        "Orders by year and priority",
        "stacked",
        """SELECT order_year::text AS x, order_priority AS s, SUM(order_count) AS v
           FROM {schema}.v_order_status_mix
           WHERE order_year BETWEEN extract(year FROM %(start)s::date) AND extract(year FROM %(end)s::date)
           GROUP BY 1, 2 ORDER BY 1, 2""",
        "orders",
        ("date",),
    ),
)

CHARTS_BY_ID = {c.id: c for c in CHARTS}


def normalize_filters(raw: dict[str, str | None], bounds: tuple[date, date]) -> dict[str, Any]:
    """Query-string filters (``start``/``end`` as YYYY-MM, ``region``) -> SQL parameters."""

    def month(text: str | None, default: date) -> date:
        if not text:
            return default
        year, mon = text.split("-")[:2]
        return date(int(year), int(mon), 1)

    return {
        "start": month(raw.get("start"), bounds[0]),
        "end": month(raw.get("end"), bounds[1]),
        "region": (raw.get("region") or "ALL").upper(),
    }


def run_chart(conn: Any, chart: Chart, schema: str, params: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """The chart's rows ``(x, series, value)`` exactly as its SQL returns them."""
    return [tuple(row) for row in conn.execute(chart.query(schema), params).fetchall()]
