"""The metric formulas rendered for PostgreSQL (the local Redshift stand-in) give the same values
as in DuckDB: the dashboards' SQL views and the independent checks share one definition."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import psycopg

from gladiator import metrics as m
from gladiator.config import Settings

CASES = {
    "extendedprice": "CAST(1234.56 AS DECIMAL(15,2))",
    "discount": "CAST(0.07 AS DECIMAL(15,2))",
    "tax": "CAST(0.05 AS DECIMAL(15,2))",
    "orderdate": "DATE '1996-02-27'",
    "shipdate": "DATE '1996-03-02'",
    "commitdate": "DATE '1996-03-01'",
    "receiptdate": "DATE '1996-03-05'",
}


def _inputs(metric: m.Metric) -> dict[str, str]:
    return {k: CASES[k] for k in metric.inputs}


def test_row_metrics_same_in_postgres_and_duckdb(local_stack: Settings) -> None:
    row_metrics = [
        m.NET_REVENUE,
        m.TAX_AMOUNT,
        m.SHIP_LAG_DAYS,
        m.DELIVERY_DELAY_DAYS,
        m.TRANSIT_DAYS,
        m.IS_LATE,
    ]
    duck = duckdb.sql("SELECT " + ", ".join(x.sql("duckdb", **_inputs(x)) for x in row_metrics)).fetchone()
    with psycopg.connect(local_stack.warehouse_url, connect_timeout=10) as conn:
        pg = conn.execute(
            "SELECT " + ", ".join(x.sql("postgres", **_inputs(x)) for x in row_metrics)
        ).fetchone()
    assert pg is not None
    assert [Decimal(str(v)) for v in pg] == [Decimal(str(v)) for v in duck]
    assert pg[0] == Decimal("1148.1408") and pg[2] == 4 and pg[5] == 1
