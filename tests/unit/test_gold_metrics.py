"""Business metrics: one formula, the same value in every engine (DuckDB in-process here; Spark in
the gold integration tests), and the churn rule as documented."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from gladiator import metrics as m


def _duck(sql: str) -> object:
    return duckdb.sql(f"SELECT {sql}").fetchone()[0]


def test_row_metrics_in_duckdb() -> None:
    price, disc, tax = (
        "CAST(1000.00 AS DECIMAL(15,2))",
        "CAST(0.05 AS DECIMAL(15,2))",
        "CAST(0.08 AS DECIMAL(15,2))",
    )
    assert _duck(m.NET_REVENUE.sql("duckdb", extendedprice=price, discount=disc)) == Decimal("950.0000")
    assert _duck(m.TAX_AMOUNT.sql("duckdb", extendedprice=price, discount=disc, tax=tax)) == Decimal(
        "76.000000"
    )
    d1, d2 = "DATE '1998-01-01'", "DATE '1998-03-01'"
    assert _duck(m.SHIP_LAG_DAYS.sql("duckdb", orderdate=d1, shipdate=d2)) == 59
    assert _duck(m.IS_LATE.sql("duckdb", receiptdate=d2, commitdate=d1)) == 1
    assert _duck(m.IS_LATE.sql("duckdb", receiptdate=d1, commitdate=d1)) == 0  # on the day is on time


@pytest.mark.parametrize(
    ("orders", "recency", "last", "prev", "at_risk"),
    [
        (0, None, 0, 0, 0),  # never ordered: not "at risk", just not a customer yet
        (5, 181, 0, 2, 1),  # silent for more than 180 days
        (5, 180, 1, 1, 0),  # exactly 180 days: not yet
        (9, 10, 2, 4, 1),  # halved frequency
        (9, 10, 3, 4, 0),  # slowed down by less than half
        (9, 10, 0, 0, 0),  # no previous window: no trend
    ],
)
def test_is_at_risk_rule(orders: int, recency: int | None, last: int, prev: int, at_risk: int) -> None:
    sql = m.IS_AT_RISK.sql(
        "duckdb",
        order_count=str(orders),
        recency_days="NULL" if recency is None else str(recency),
        orders_last=str(last),
        orders_prev=str(prev),
    )
    assert _duck(sql) == at_risk


def test_dialects_differ_only_in_date_arithmetic() -> None:
    spark, duck, red = (m.SHIP_LAG_DAYS.sql(d) for d in ("spark", "duckdb", "redshift"))
    assert spark == "datediff(l_shipdate, o_orderdate)"
    assert red == "DATEDIFF(day, o_orderdate, l_shipdate)"
    assert duck == "CAST((l_shipdate) - (o_orderdate) AS INTEGER)"
    assert len({m.NET_REVENUE.sql(d) for d in m.DIALECTS}) == 1


def test_unknown_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown inputs"):
        m.NET_REVENUE.sql("spark", price="x")
