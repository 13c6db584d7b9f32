"""Which orders a batch changed, for the scoped rebuild of the gold facts
(``gladiator.jobs.silver_to_gold.changed_order_keys``): read from the silver tables' change data
feed, customers and suppliers mapped to their orders. Local Delta folders, no services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gladiator import lake
from gladiator.jobs.silver_to_gold import MAX_SCOPED_ORDERS, changed_order_keys
from gladiator.transforms.silver import TABLE_PROPERTIES

TABLES = {
    "orders": ("o_orderkey bigint, o_custkey bigint, updated_at int", [(1, 10, 1), (2, 20, 1), (3, 10, 1)]),
    "lineitem": (
        "l_orderkey bigint, l_linenumber int, l_suppkey bigint, updated_at int",
        [(1, 1, 100, 1), (2, 1, 200, 1), (3, 1, 300, 1), (3, 2, 100, 1)],
    ),
    "customer": ("c_custkey bigint, updated_at int", [(10, 1), (20, 1)]),
    "supplier": ("s_suppkey bigint, updated_at int", [(100, 1), (200, 1), (300, 1)]),
}
KEYS = {"orders": ["o_orderkey"], "lineitem": ["l_orderkey", "l_linenumber"],
        "customer": ["c_custkey"], "supplier": ["s_suppkey"]}  # fmt: skip


def silver(spark: Any, root: Path, properties: dict[str, str] | None = TABLE_PROPERTIES) -> dict[str, int]:
    for name, (schema, data) in TABLES.items():
        df = spark.createDataFrame(data, schema)
        lake.append_with_txn(df, f"{root}/{name}", app_id="t", version=1, options=properties)
    return versions(spark, root)


def versions(spark: Any, root: Path) -> dict[str, int]:
    return {name: lake.table_version(spark, f"{root}/{name}") for name in TABLES}  # type: ignore[misc]


def change(spark: Any, root: Path, name: str, data: list[tuple[Any, ...]], version: int) -> None:
    schema = TABLES[name][0]
    lake.guarded_merge(spark.createDataFrame(data, schema), f"{root}/{name}", keys=KEYS[name],
                       app_id="t", version=version)  # fmt: skip


def test_nothing_changed_means_no_order(spark: Any, tmp_path: Path) -> None:
    since = silver(spark, tmp_path)
    assert changed_order_keys(spark, str(tmp_path), since, since) == []


def test_changed_orders_lines_customers_and_suppliers_map_to_their_orders(spark: Any, tmp_path: Path) -> None:
    since = silver(spark, tmp_path)
    change(spark, tmp_path, "lineitem", [(2, 1, 200, 2)], 2)  # order 2's line
    assert changed_order_keys(spark, str(tmp_path), since, versions(spark, tmp_path)) == [2]
    change(spark, tmp_path, "customer", [(10, 2)], 3)  # customer 10 placed orders 1 and 3
    change(spark, tmp_path, "orders", [(4, 20, 2)], 4)  # a new order
    assert changed_order_keys(spark, str(tmp_path), since, versions(spark, tmp_path)) == [1, 2, 3, 4]
    later = versions(spark, tmp_path)
    change(spark, tmp_path, "supplier", [(100, 2)], 5)  # supplier 100 ships lines of orders 1 and 3
    assert changed_order_keys(spark, str(tmp_path), later, versions(spark, tmp_path)) == [1, 3]


def test_without_change_data_the_facts_are_rebuilt_whole(spark: Any, tmp_path: Path) -> None:
    since = silver(spark, tmp_path, properties=None)  # tables written before the feed was kept
    change(spark, tmp_path, "orders", [(1, 10, 2)], 2)
    assert changed_order_keys(spark, str(tmp_path), since, versions(spark, tmp_path)) is None
    assert changed_order_keys(spark, str(tmp_path), {}, versions(spark, tmp_path)) is None  # no record
    assert MAX_SCOPED_ORDERS >= 10_000
