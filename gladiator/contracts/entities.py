"""The eight retail entities (TPC-H shaped), each with its one contract.

Domain rules follow the TPC-H specification (clause 4.2.3), so clean generated data satisfies all of
them and every injected fault breaks exactly one. Date ranges are not fixed: the generator may
shift dates so the data ends on a chosen day.
"""

from __future__ import annotations

from gladiator.contracts.model import (
    Column,
    Contract,
    CrossEntityRule,
    DerivedColumn,
    ForeignKey,
    ReasonCode,
    Rule,
)


def _key(name: str, description: str = "") -> Column:
    return Column(name=name, type="bigint", description=description)


def _text(name: str, length: int, *, normalize: str = "none") -> Column:
    return Column(name=name, type="string", max_length=length, normalize=normalize)  # type: ignore[arg-type]


def _code(name: str, length: int) -> Column:
    return Column(name=name, type="string", max_length=length, normalize="upper")


def _money(name: str) -> Column:
    return Column(name=name, type="decimal(15,2)")


UPDATED_AT = Column(
    name="updated_at", type="timestamp", description="last change in the source system (UTC); newer wins"
)


def _in(column: str, values: tuple[str, ...]) -> Rule:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return Rule(name=f"{column}_domain", predicate=f"{column} IN ({quoted})", columns=(column,))


def _between(column: str, low: str, high: str) -> Rule:
    return Rule(name=f"{column}_range", predicate=f"{column} BETWEEN {low} AND {high}", columns=(column,))


REGION_NAMES = ("AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST")
MARKET_SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY")
ORDER_STATUSES = ("F", "O", "P")
ORDER_PRIORITIES = ("1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW")
SHIP_MODES = ("REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB")
SHIP_INSTRUCTIONS = ("DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN")

REGION = Contract(
    name="region",
    description="The five world regions.",
    columns=(_key("r_regionkey"), _code("r_name", 25), _text("r_comment", 152), UPDATED_AT),
    primary_key=("r_regionkey",),
    rules=(_in("r_name", REGION_NAMES), _between("r_regionkey", "0", "4")),
)

NATION = Contract(
    name="nation",
    description="The 25 nations, each in one region.",
    columns=(
        _key("n_nationkey"),
        _code("n_name", 25),
        _key("n_regionkey"),
        _text("n_comment", 152),
        UPDATED_AT,
    ),
    primary_key=("n_nationkey",),
    foreign_keys=(
        ForeignKey(columns=("n_regionkey",), references="region", referenced_columns=("r_regionkey",)),
    ),
    rules=(_between("n_nationkey", "0", "24"),),
)

SUPPLIER = Contract(
    name="supplier",
    description="Suppliers of parts, each in one nation.",
    columns=(
        _key("s_suppkey"),
        _text("s_name", 25, normalize="trim"),
        _text("s_address", 40),
        _key("s_nationkey"),
        _text("s_phone", 15, normalize="trim"),
        _money("s_acctbal"),
        _text("s_comment", 101),
        UPDATED_AT,
    ),
    primary_key=("s_suppkey",),
    foreign_keys=(
        ForeignKey(columns=("s_nationkey",), references="nation", referenced_columns=("n_nationkey",)),
    ),
    rules=(
        _between("s_acctbal", "-999.99", "9999.99"),
        Rule(name="s_suppkey_positive", predicate="s_suppkey > 0"),
    ),
    cluster_by=("s_nationkey",),
    sort_keys=("s_suppkey",),
)

CUSTOMER = Contract(
    name="customer",
    description="Customers (accounts), each in one nation and market segment.",
    columns=(
        _key("c_custkey"),
        _text("c_name", 25, normalize="trim"),
        _text("c_address", 40),
        _key("c_nationkey"),
        _text("c_phone", 15, normalize="trim"),
        _money("c_acctbal"),
        _code("c_mktsegment", 10),
        _text("c_comment", 117),
        UPDATED_AT,
    ),
    primary_key=("c_custkey",),
    foreign_keys=(
        ForeignKey(columns=("c_nationkey",), references="nation", referenced_columns=("n_nationkey",)),
    ),
    rules=(
        _between("c_acctbal", "-999.99", "9999.99"),
        _in("c_mktsegment", MARKET_SEGMENTS),
        Rule(name="c_custkey_positive", predicate="c_custkey > 0"),
    ),
    cluster_by=("c_nationkey",),
    mutable=True,
    freshness_sla_hours=168,
    dist_key="c_custkey",
    sort_keys=("c_custkey",),
)

PART = Contract(
    name="part",
    description="Parts sold.",
    columns=(
        _key("p_partkey"),
        _text("p_name", 55, normalize="trim"),
        _text("p_mfgr", 25, normalize="trim"),
        _text("p_brand", 10, normalize="trim"),
        _text("p_type", 25, normalize="upper"),
        Column(name="p_size", type="int"),
        _text("p_container", 10, normalize="upper"),
        _money("p_retailprice"),
        _text("p_comment", 23),
        UPDATED_AT,
    ),
    primary_key=("p_partkey",),
    rules=(
        _between("p_size", "1", "50"),
        Rule(name="p_retailprice_positive", predicate="p_retailprice > 0"),
        Rule(name="p_partkey_positive", predicate="p_partkey > 0"),
    ),
    cluster_by=("p_brand",),
    dist_key="p_partkey",
    sort_keys=("p_partkey",),
)

PARTSUPP = Contract(
    name="partsupp",
    description="Which supplier offers which part, at what cost and availability.",
    columns=(
        _key("ps_partkey"),
        _key("ps_suppkey"),
        Column(name="ps_availqty", type="int"),
        _money("ps_supplycost"),
        _text("ps_comment", 199),
        UPDATED_AT,
    ),
    primary_key=("ps_partkey", "ps_suppkey"),
    foreign_keys=(
        ForeignKey(columns=("ps_partkey",), references="part", referenced_columns=("p_partkey",)),
        ForeignKey(columns=("ps_suppkey",), references="supplier", referenced_columns=("s_suppkey",)),
    ),
    rules=(_between("ps_availqty", "1", "9999"), _between("ps_supplycost", "1.00", "1000.00")),
    cluster_by=("ps_partkey",),
    mutable=True,
    freshness_sla_hours=168,
    dist_key="ps_partkey",
    sort_keys=("ps_partkey",),
)

ORDERS = Contract(
    name="orders",
    description="Customer orders (headers).",
    columns=(
        _key("o_orderkey"),
        _key("o_custkey"),
        _code("o_orderstatus", 1),
        _money("o_totalprice"),
        Column(name="o_orderdate", type="date"),
        _code("o_orderpriority", 15),
        _text("o_clerk", 15, normalize="trim"),
        Column(name="o_shippriority", type="int"),
        _text("o_comment", 79),
        UPDATED_AT,
    ),
    primary_key=("o_orderkey",),
    foreign_keys=(
        ForeignKey(columns=("o_custkey",), references="customer", referenced_columns=("c_custkey",)),
    ),
    rules=(
        _in("o_orderstatus", ORDER_STATUSES),
        _in("o_orderpriority", ORDER_PRIORITIES),
        Rule(name="o_totalprice_positive", predicate="o_totalprice > 0"),
        Rule(name="o_orderkey_positive", predicate="o_orderkey > 0"),
    ),
    # Year, not month: at SF 0.01 month partitions made ~80 files per commit and 1,440 S3 HEADs per
    # batch on silver orders alone; year partitions halve a batch's S3 requests (README, issue 14).
    partition_by=(DerivedColumn(name="_order_year", expression="year(o_orderdate)"),),
    cluster_by=("o_custkey",),
    mutable=True,
    freshness_sla_hours=24,
    dist_key="o_orderkey",
    sort_keys=("o_orderdate",),
)

LINEITEM = Contract(
    name="lineitem",
    description="Order lines: one part from one supplier within an order.",
    columns=(
        _key("l_orderkey"),
        _key("l_partkey"),
        _key("l_suppkey"),
        Column(name="l_linenumber", type="int"),
        _money("l_quantity"),
        _money("l_extendedprice"),
        _money("l_discount"),
        _money("l_tax"),
        _code("l_returnflag", 1),
        _code("l_linestatus", 1),
        Column(name="l_shipdate", type="date"),
        Column(name="l_commitdate", type="date"),
        Column(name="l_receiptdate", type="date"),
        _code("l_shipinstruct", 25),
        _code("l_shipmode", 10),
        _text("l_comment", 44),
        UPDATED_AT,
    ),
    primary_key=("l_orderkey", "l_linenumber"),
    foreign_keys=(
        ForeignKey(columns=("l_orderkey",), references="orders", referenced_columns=("o_orderkey",)),
        ForeignKey(
            columns=("l_partkey", "l_suppkey"),
            references="partsupp",
            referenced_columns=("ps_partkey", "ps_suppkey"),
        ),
    ),
    rules=(
        _between("l_quantity", "1", "50"),
        _between("l_discount", "0.00", "0.10"),
        _between("l_tax", "0.00", "0.08"),
        _between("l_linenumber", "1", "7"),
        _in("l_returnflag", ("R", "A", "N")),
        _in("l_linestatus", ("O", "F")),
        _in("l_shipmode", SHIP_MODES),
        _in("l_shipinstruct", SHIP_INSTRUCTIONS),
        Rule(name="l_extendedprice_positive", predicate="l_extendedprice > 0"),
        Rule(
            name="l_receipt_after_ship",
            predicate="l_receiptdate > l_shipdate",
            columns=("l_receiptdate", "l_shipdate"),
        ),
    ),
    cross_rules=(
        CrossEntityRule(
            name="l_ship_after_order",
            other="orders",
            join=(("l_orderkey", "o_orderkey"),),
            predicate="l_shipdate > o_orderdate",
            reason=ReasonCode.SHIP_BEFORE_ORDER,
        ),
    ),
    # Ship year needs no join with orders (order year would); measured in bench/ (issue 5). Year,
    # not month: 80 -> 7 files per commit at SF 0.01, silver lineitem JVM CPU 41 -> 22 s (issue 14).
    partition_by=(DerivedColumn(name="_ship_year", expression="year(l_shipdate)"),),
    cluster_by=("l_orderkey", "l_partkey"),
    mutable=True,
    freshness_sla_hours=24,
    dist_key="l_orderkey",
    sort_keys=("l_shipdate",),
)

# Load order: every entity after the ones it references.
CONTRACTS: dict[str, Contract] = {
    c.name: c for c in (REGION, NATION, SUPPLIER, CUSTOMER, PART, PARTSUPP, ORDERS, LINEITEM)
}
