"""Gold tables computed independently with DuckDB over the entity tables (truth), for the tests.

Written directly in SQL from the table definitions (gladiator/contracts/gold.py); only the metric
formulas are shared (``gladiator.metrics``, rendered for DuckDB), which is their purpose.
The DuckDB connection must hold tables/views named after the entities.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from gladiator import metrics as m
from gladiator.contracts.gold import get_gold_contract

D = "duckdb"


def load_truth(truth_dir: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one (modifiable) table per entity, loaded from truth parquet."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    from gladiator.contracts import CONTRACTS

    for name in CONTRACTS:
        con.execute(
            f"CREATE TABLE {name} AS SELECT * REPLACE (CAST(updated_at AS TIMESTAMP) AS updated_at) "
            f"FROM read_parquet('{truth_dir}/{name}/*.parquet')"
        )
    return con


def _sales_view(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW x_sales AS
        SELECT l.*, o.o_custkey, o.o_orderdate, o.o_orderstatus, o.o_orderpriority,
               c.c_nationkey, s.s_nationkey,
               {m.NET_REVENUE.sql(D)} AS net_revenue,
               {m.TAX_AMOUNT.sql(D)} AS tax_amount,
               {m.SHIP_LAG_DAYS.sql(D)} AS ship_lag_days,
               {m.DELIVERY_DELAY_DAYS.sql(D)} AS delivery_delay_days,
               {m.TRANSIT_DAYS.sql(D)} AS transit_days,
               {m.IS_LATE.sql(D)} AS is_late,
               {m.IS_RETURNED.sql(D)} AS is_returned,
               greatest(l.updated_at, o.updated_at, c.updated_at, s.updated_at) AS u
        FROM lineitem l JOIN orders o ON l_orderkey = o_orderkey
        JOIN customer c ON o_custkey = c_custkey JOIN supplier s ON l_suppkey = s_suppkey""")
    con.execute("""
        CREATE OR REPLACE TEMP VIEW x_geo AS
        SELECT n_nationkey, n_name, r_regionkey, r_name, greatest(n.updated_at, r.updated_at) AS u
        FROM nation n JOIN region r ON n_regionkey = r_regionkey""")
    con.execute("""
        CREATE OR REPLACE TEMP VIEW x_orders AS
        SELECT o.*, c.c_nationkey,
               coalesce(x.line_count, 0) AS line_count, coalesce(x.net_revenue, 0) AS net_revenue,
               greatest(o.updated_at, c.updated_at, x.u) AS u
        FROM orders o JOIN customer c ON o_custkey = c_custkey
        LEFT JOIN (SELECT l_orderkey, count(*) AS line_count, sum(net_revenue) AS net_revenue, max(u) AS u
                   FROM x_sales GROUP BY l_orderkey) x ON x.l_orderkey = o_orderkey""")


W = m.TREND_WINDOW_DAYS

EXPECTED_SQL: dict[str, str] = {
    "fact_orders": """
        SELECT o_orderkey, o.o_custkey, c.c_nationkey, o.o_orderdate,
               CAST(strftime(o.o_orderdate, '%Y%m%d') AS INTEGER), o.o_orderstatus, o.o_orderpriority, o_clerk,
               o_shippriority, o_totalprice, count(l_orderkey), coalesce(sum(l_quantity), 0),
               coalesce(sum(l_extendedprice), 0), coalesce(sum(net_revenue), 0), coalesce(sum(tax_amount), 0),
               coalesce(sum(is_late), 0), coalesce(sum(is_returned), 0), min(l_shipdate), max(l_receiptdate),
               greatest(max(o.updated_at), max(c.updated_at), max(x.u))
        FROM orders o JOIN customer c ON o_custkey = c_custkey LEFT JOIN x_sales x ON x.l_orderkey = o_orderkey
        GROUP BY ALL""",
    "dim_customer": f"""
        WITH ref AS (SELECT max(o_orderdate) AS d, max(u) AS u FROM x_orders),
        st AS (
            SELECT o_custkey, min(o_orderdate) AS first_d, max(o_orderdate) AS last_d, count(*) AS n,
                   sum(net_revenue) AS rev,
                   count(*) FILTER (WHERE o_orderdate > (SELECT d FROM ref) - {W}) AS last6,
                   count(*) FILTER (WHERE o_orderdate > (SELECT d FROM ref) - {2 * W}
                                    AND o_orderdate <= (SELECT d FROM ref) - {W}) AS prev6
            FROM x_orders GROUP BY o_custkey),
        base AS (
            SELECT c.*, g.*, st.*, ref.d AS as_of_date, greatest(c.updated_at, g.u, ref.u) AS uu,
                   coalesce(st.n, 0) AS order_count, CAST(ref.d - st.last_d AS INTEGER) AS recency_days,
                   coalesce(last6, 0) AS orders_last_6m, coalesce(prev6, 0) AS orders_prev_6m
            FROM customer c JOIN x_geo g ON c_nationkey = n_nationkey
            LEFT JOIN st ON st.o_custkey = c_custkey CROSS JOIN ref)
        SELECT c_custkey, c_name, c_address, c_phone, c_acctbal, c_mktsegment, n_nationkey, n_name,
               r_regionkey, r_name, first_d, last_d, order_count, coalesce(rev, 0),
               CASE WHEN order_count > 0 THEN rev / order_count END, as_of_date, recency_days,
               orders_last_6m, orders_prev_6m, orders_last_6m - orders_prev_6m, {m.IS_AT_RISK.sql(D)}, uu
        FROM base""",
    "agg_revenue_monthly": """
        SELECT year(o_orderdate) AS y, month(o_orderdate) AS mo, make_date(year(o_orderdate), month(o_orderdate), 1),
               r_regionkey, r_name, c_mktsegment, count(DISTINCT l_orderkey), count(DISTINCT o_custkey),
               count(*), sum(l_quantity), sum(l_extendedprice), sum(net_revenue), sum(tax_amount),
               sum(net_revenue) / count(DISTINCT l_orderkey), max(greatest(x.u, g.u))
        FROM x_sales x JOIN customer c ON o_custkey = c_custkey JOIN x_geo g ON x.c_nationkey = n_nationkey
        GROUP BY ALL""",
    "agg_supplier_performance": """
        SELECT l_suppkey, s_name, s.s_nationkey, n_name, r_name, count(*), sum(is_late),
               sum(is_late) / count(*), avg(ship_lag_days), avg(delivery_delay_days),
               avg(delivery_delay_days) FILTER (WHERE is_late = 1), sum(net_revenue),
               greatest(max(x.u), max(s.updated_at), max(g.u))
        FROM x_sales x JOIN supplier s ON l_suppkey = s_suppkey JOIN x_geo g ON s.s_nationkey = n_nationkey
        GROUP BY ALL""",
    "agg_supplier_nation_performance": """
        SELECT x.s_nationkey, n_name, r_name, count(DISTINCT l_suppkey), count(*), sum(is_late),
               sum(is_late) / count(*), avg(ship_lag_days), avg(delivery_delay_days),
               avg(delivery_delay_days) FILTER (WHERE is_late = 1), sum(net_revenue),
               greatest(max(x.u), max(g.u))
        FROM x_sales x JOIN x_geo g ON x.s_nationkey = n_nationkey GROUP BY ALL""",
    "agg_shipmode_efficiency": """
        SELECT year(l_shipdate), l_shipmode, count(*), sum(is_late), sum(is_late) / count(*), avg(transit_days),
               avg(ship_lag_days), avg(delivery_delay_days), sum(l_quantity), sum(net_revenue), max(u)
        FROM x_sales GROUP BY ALL""",
    "agg_return_rate": """
        SELECT p_type, p_brand, count(*), sum(is_returned), sum(is_returned) / count(*),
               coalesce(sum(l_quantity) FILTER (WHERE is_returned = 1), 0), sum(net_revenue),
               coalesce(sum(net_revenue) FILTER (WHERE is_returned = 1), 0), max(greatest(x.u, p.updated_at))
        FROM x_sales x JOIN part p ON l_partkey = p_partkey GROUP BY ALL""",
    "agg_order_status_mix": """
        WITH cell AS (
            SELECT year(o_orderdate) AS y, o_orderstatus, o_orderpriority, count(*) AS n,
                   sum(o_totalprice) AS tp, sum(net_revenue) AS rev, sum(line_count) AS lines, max(u) AS u
            FROM x_orders GROUP BY ALL)
        SELECT y, o_orderstatus, o_orderpriority, n, n / sum(n) OVER (PARTITION BY y), tp, rev, lines / n, lines,
               max(u) OVER (PARTITION BY y)
        FROM cell""",
    "agg_cohort_retention": """
        WITH firsts AS (SELECT o_custkey, min(year(o_orderdate)) AS cy FROM x_orders GROUP BY ALL),
        sizes AS (SELECT cy, count(*) AS n FROM firsts GROUP BY ALL),
        act AS (SELECT cy, year(o_orderdate) AS ay, count(DISTINCT o.o_custkey) AS active, count(*) AS orders,
                       sum(net_revenue) AS rev
                FROM x_orders o JOIN firsts f ON o.o_custkey = f.o_custkey GROUP BY ALL)
        SELECT act.cy, ay, ay - act.cy, sizes.n, active, active / sizes.n, orders, rev,
               (SELECT max(u) FROM x_orders)
        FROM act JOIN sizes ON act.cy = sizes.cy""",
}


def expected_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    """The rows of gold ``table`` computed by DuckDB, in contract column order."""
    _sales_view(con)
    return con.execute(EXPECTED_SQL[table]).fetchall()


def _rounding_unit(type_: str) -> Decimal | None:
    """For rounded columns (ratios, averages) the tolerance: one unit in the last place."""
    if type_ in ("decimal(9,6)", "decimal(9,2)", "decimal(18,4)"):
        scale = int(type_.rstrip(")").split(",")[1])
        return Decimal(1).scaleb(-scale)
    return None


def compare_table(table: str, actual: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> list[str]:
    """Differences between gold rows and expected rows, keyed by the primary key (empty: equal).

    Exact for everything except rounded columns (ratios/averages: one unit in the last place;
    ``net_revenue`` per line is exact with scale 4, so only ``avg_basket`` uses the decimal(18,4) slack).
    """
    contract = get_gold_contract(table)
    names = contract.column_names
    key_idx = [names.index(k) for k in contract.primary_key]
    units = [
        _rounding_unit(c.type) if (c.type != "decimal(18,4)" or c.name == "avg_basket") else None
        for c in contract.columns
    ]

    def by_key(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        return {tuple(r[i] for i in key_idx): tuple(r) for r in rows}

    got, want = by_key(actual), by_key(expected)
    problems = (
        [f"{table}: {len(actual)} rows, expected {len(expected)}"] if len(actual) != len(expected) else []
    )
    for key in sorted(set(want) - set(got), key=str)[:5]:
        problems.append(f"{table}: missing key {key}")
    for key in sorted(set(got) - set(want), key=str)[:5]:
        problems.append(f"{table}: extra key {key}")
    for key in sorted(set(got) & set(want), key=str):
        for name, unit, a, e in zip(names, units, got[key], want[key], strict=True):
            same = a == e
            if not same and unit is not None and a is not None and e is not None:
                same = abs(Decimal(str(a)) - Decimal(str(e))) <= unit
            if not same:
                problems.append(f"{table}[{key}].{name}: gold={a!r} expected={e!r}")
                if len(problems) > 20:
                    return problems
    return problems
