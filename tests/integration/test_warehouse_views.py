"""Business views in the warehouse equal an independent DuckDB computation over truth/.

Gold is built from truth with the real gold transforms, loaded by ``load_gold`` into a throw-away
PostgreSQL schema; each view is then compared row by row (both directions) with SQL written here
from the TPC-H entities alone. Counts and exact sums must be equal; ratios and averages (rounded
to their contract scale in gold) within one unit of their last decimal.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from gladiator.config import Settings
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.warehouse import load_gold
from gladiator.warehouse.views import view_names
from tests.integration import warehouse_support as support

pytestmark = pytest.mark.slow

SALES = """
CREATE VIEW sales AS
SELECT l.*, o.*, c.c_custkey, c.c_mktsegment, cr.r_regionkey AS cust_region_key, cr.r_name AS cust_region,
       p.p_type, p.p_brand, s.s_suppkey, s.s_name, sn.n_nationkey AS supp_nation_key,
       sn.n_name AS supp_nation, sr.r_name AS supp_region,
       l_extendedprice * (1 - l_discount) AS net,
       CASE WHEN l_receiptdate > l_commitdate THEN 1 ELSE 0 END AS late,
       CASE WHEN l_returnflag = 'R' THEN 1 ELSE 0 END AS returned
FROM lineitem l JOIN orders o ON l_orderkey = o_orderkey
JOIN customer c ON o_custkey = c_custkey
JOIN nation cn ON c_nationkey = cn.n_nationkey JOIN region cr ON cn.n_regionkey = cr.r_regionkey
JOIN part p ON l_partkey = p_partkey
JOIN supplier s ON l_suppkey = s_suppkey
JOIN nation sn ON s_nationkey = sn.n_nationkey JOIN region sr ON sn.n_regionkey = sr.r_regionkey
"""

CUSTOMER_SIGNALS = """
CREATE VIEW customer_signals AS
WITH as_of AS (SELECT max(o_orderdate) AS d FROM orders),
per AS (
  SELECT o_custkey, count(*) AS n, min(o_orderdate) AS first_d, max(o_orderdate) AS last_d,
         count(*) FILTER (WHERE o_orderdate > (SELECT d FROM as_of) - 182) AS last6,
         count(*) FILTER (WHERE o_orderdate <= (SELECT d FROM as_of) - 182
                            AND o_orderdate > (SELECT d FROM as_of) - 364) AS prev6
  FROM orders GROUP BY o_custkey),
rev AS (SELECT c_custkey AS k, sum(net) AS revenue FROM sales GROUP BY c_custkey)
SELECT c.c_custkey, c.c_name, n.n_name, r.r_name, c.c_mktsegment,
       coalesce(per.n, 0) AS n, coalesce(rev.revenue, 0) AS revenue, per.first_d, per.last_d,
       (SELECT d FROM as_of) - per.last_d AS recency, coalesce(last6, 0) - coalesce(prev6, 0) AS trend,
       CASE WHEN coalesce(per.n, 0) > 0 AND ((SELECT d FROM as_of) - per.last_d > 180
            OR (coalesce(prev6, 0) > 0 AND coalesce(last6, 0) * 2 <= prev6)) THEN 1 ELSE 0 END AS at_risk
FROM customer c JOIN nation n ON c_nationkey = n_nationkey JOIN region r ON n_regionkey = r_regionkey
LEFT JOIN per ON per.o_custkey = c.c_custkey LEFT JOIN rev ON rev.k = c.c_custkey
"""

# view -> (key columns, DuckDB query returning the view's columns in the view's order)
EXPECTED: dict[str, tuple[tuple[str, ...], str]] = {
    "v_revenue_trend": (
        ("month_start", "region_name", "market_segment"),
        """SELECT CAST(date_trunc('month', o_orderdate) AS DATE), year(o_orderdate), month(o_orderdate),
                  cust_region, c_mktsegment, count(DISTINCT o_orderkey), count(DISTINCT o_custkey), count(*),
                  sum(l_extendedprice), sum(net), sum(net) / count(DISTINCT o_orderkey)
           FROM sales GROUP BY ALL""",
    ),
    "v_top_customers": (
        ("customer_key",),
        """SELECT c_custkey, c_name, n_name, r_name, c_mktsegment, n, revenue, revenue / n, first_d, last_d,
                  rank() OVER (ORDER BY revenue DESC, c_custkey),
                  rank() OVER (PARTITION BY r_name ORDER BY revenue DESC, c_custkey)
           FROM customer_signals WHERE n > 0""",
    ),
    "v_churn_signals": (
        ("region_name", "market_segment"),
        """SELECT r_name, c_mktsegment, count(*), count(*) FILTER (WHERE n > 0), sum(at_risk),
                  sum(at_risk) / count(*) FILTER (WHERE n > 0),
                  count(*) FILTER (WHERE trend < 0), avg(recency),
                  count(*) FILTER (WHERE recency <= 90), count(*) FILTER (WHERE recency > 90 AND recency <= 180),
                  count(*) FILTER (WHERE recency > 180 AND recency <= 365), count(*) FILTER (WHERE recency > 365)
           FROM customer_signals GROUP BY ALL""",
    ),
    "v_cohort_retention": (
        ("cohort_year", "activity_year"),
        """WITH firsts AS (SELECT o_custkey, min(year(o_orderdate)) AS cohort FROM orders GROUP BY 1),
                sizes AS (SELECT cohort, count(*) AS size FROM firsts GROUP BY 1),
                order_net AS (SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS net
                              FROM lineitem GROUP BY 1)
           SELECT f.cohort, year(o_orderdate), year(o_orderdate) - f.cohort, s.size,
                  count(DISTINCT o.o_custkey), count(DISTINCT o.o_custkey) / s.size, count(*),
                  sum(coalesce(order_net.net, 0))
           FROM orders o JOIN firsts f USING (o_custkey) JOIN sizes s ON s.cohort = f.cohort
           LEFT JOIN order_net ON l_orderkey = o_orderkey
           GROUP BY f.cohort, year(o_orderdate), s.size""",
    ),
    "v_supplier_performance": (
        ("supplier_key",),
        """WITH per AS (
             SELECT s_suppkey, s_name, supp_nation_key, supp_nation, supp_region, count(*) AS lines,
                    sum(late) AS late_lines, round(sum(late) / count(*), 6) AS ratio,
                    avg(l_shipdate - o_orderdate) AS lag, avg(l_receiptdate - l_commitdate) AS delay,
                    avg(CASE WHEN late = 1 THEN l_receiptdate - l_commitdate END) AS days_late, sum(net) AS net
             FROM sales GROUP BY ALL)
           SELECT *, rank() OVER (PARTITION BY supp_nation_key ORDER BY ratio DESC, s_suppkey) FROM per""",
    ),
    "v_supplier_nation_performance": (
        ("nation_key",),
        """SELECT supp_nation_key, supp_nation, supp_region, count(DISTINCT s_suppkey), count(*), sum(late),
                  sum(late) / count(*), avg(l_shipdate - o_orderdate), avg(l_receiptdate - l_commitdate),
                  avg(CASE WHEN late = 1 THEN l_receiptdate - l_commitdate END), sum(net)
           FROM sales GROUP BY ALL""",
    ),
    "v_shipmode_efficiency": (
        ("ship_year", "ship_mode"),
        """SELECT year(l_shipdate), l_shipmode, count(*), sum(late), sum(late) / count(*),
                  avg(l_receiptdate - l_shipdate), avg(l_shipdate - o_orderdate),
                  avg(l_receiptdate - l_commitdate), sum(l_quantity), sum(net)
           FROM sales GROUP BY ALL""",
    ),
    "v_return_rate": (
        ("part_type", "brand"),
        """SELECT p_type, p_brand, count(*), sum(returned), sum(returned) / count(*),
                  sum(CASE WHEN returned = 1 THEN l_quantity ELSE 0 END), sum(net),
                  sum(CASE WHEN returned = 1 THEN net ELSE 0 END)
           FROM sales GROUP BY ALL""",
    ),
    "v_order_status_mix": (
        ("order_year", "order_status", "order_priority"),
        """WITH lines AS (SELECT l_orderkey, count(*) AS n, sum(l_extendedprice * (1 - l_discount)) AS net
                          FROM lineitem GROUP BY 1),
                cells AS (SELECT year(o_orderdate) AS y, o_orderstatus, o_orderpriority, count(*) AS orders,
                                 sum(o_totalprice) AS price, sum(coalesce(net, 0)) AS net, sum(coalesce(n, 0)) AS lines
                          FROM orders LEFT JOIN lines ON l_orderkey = o_orderkey GROUP BY ALL)
           SELECT y, o_orderstatus, o_orderpriority, orders, orders / sum(orders) OVER (PARTITION BY y),
                  price, net, lines, lines / orders
           FROM cells""",
    ),
}

APPROXIMATE = ("ratio", "rate", "share", "avg", "per_order")


def duckdb_truth(truth: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for entity in ("region", "nation", "customer", "supplier", "part", "orders", "lineitem"):
        con.execute(f"CREATE VIEW {entity} AS SELECT * FROM read_parquet('{truth / entity}/*.parquet')")
    con.execute(SALES)
    con.execute(CUSTOMER_SIGNALS)
    return con


def compare_rows(
    view: str,
    columns: list[str],
    keys: tuple[str, ...],
    actual: list[tuple[Any, ...]],
    expected: list[tuple[Any, ...]],
) -> list[str]:
    """Differences between the view's rows and the expected rows, matched on ``keys``."""
    key_index = [columns.index(k) for k in keys]
    by_key_actual = {tuple(r[i] for i in key_index): r for r in actual}
    by_key_expected = {tuple(r[i] for i in key_index): r for r in expected}
    problems = []
    if len(by_key_actual) != len(actual):
        problems.append(f"{view}: duplicate keys in the view")
    for key in sorted(set(by_key_expected) - set(by_key_actual), key=str)[:5]:
        problems.append(f"{view}: missing row {key}")
    for key in sorted(set(by_key_actual) - set(by_key_expected), key=str)[:5]:
        problems.append(f"{view}: unexpected row {key}")
    for key in set(by_key_actual) & set(by_key_expected):
        for name, got, want in zip(columns, by_key_actual[key], by_key_expected[key], strict=True):
            if not _equal(name, got, want):
                problems.append(f"{view} {key} {name}: warehouse {got!r} != truth {want!r}")
    return problems


def _equal(name: str, got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(got, int | float | Decimal) and not isinstance(got, bool):
        if any(tag in name for tag in APPROXIMATE):
            tolerance = (
                Decimal(1).scaleb(Decimal(got).as_tuple().exponent) if isinstance(got, Decimal) else 1e-6
            )
            return abs(Decimal(str(got)) - Decimal(str(want))) <= Decimal(str(tolerance)) * Decimal("1.01")
        return Decimal(str(got)) == Decimal(str(want))
    return bool(got == want)


@pytest.fixture(scope="module")
def loaded_schema(spark: Any, local_stack: Settings) -> Iterator[str]:
    uris = support.gold_lake(spark, local_stack)
    with support.throwaway_schema(local_stack, "views") as schema:
        load_gold(local_stack, schema=schema, table_uris=uris)
        yield schema
        support.ledger_cleanup(local_stack, schema, list(GOLD_TABLES))


def test_every_view_has_an_independent_check() -> None:
    assert sorted(EXPECTED) == view_names()


@pytest.mark.parametrize("view", sorted(EXPECTED))
def test_view_equals_duckdb_over_truth(view: str, loaded_schema: str, local_stack: Settings) -> None:
    keys, query = EXPECTED[view]
    with psycopg.connect(local_stack.warehouse_url) as conn:
        cursor = conn.execute(f"SELECT * FROM {loaded_schema}.{view}")
        columns = [d.name for d in cursor.description]
        actual = cursor.fetchall()
    expected = duckdb_truth(support.truth_dir()).execute(query).fetchall()
    assert actual, f"{view} is empty"
    problems = compare_rows(view, columns, keys, actual, expected)
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:15])
