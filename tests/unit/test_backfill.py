"""The backfill's pure part: month ranges, the replaceWhere predicate, the gold tables an entity
feeds, and the pipeline lock it holds (moto in-process)."""

from __future__ import annotations

import pytest

from gladiator.contracts import CONTRACTS
from gladiator.ingestion.batches import BatchStore
from gladiator.jobs.backfill import pipeline_lock
from gladiator.transforms.backfill import (
    BackfillError,
    MonthRange,
    PipelineBusy,
    affected_gold_tables,
    get_entity,
    month_partitions,
    scope_predicate,
)
from gladiator.transforms.gold_registry import GOLD_BUILDS


def test_a_month_range_parses_inclusive_and_all_means_the_whole_table() -> None:
    assert MonthRange.parse("1995-01", "1995-12") == MonthRange(199501, 199512)
    assert MonthRange.parse("1995-03", "1995-03").label == "1995-03..1995-03"
    assert MonthRange.parse("all", "all") is None


@pytest.mark.parametrize(
    ("first", "last", "named"),
    [
        ("1995-13", "1995-12", "--from '1995-13'"),
        ("1995-01", "95-02", "--to '95-02'"),
        ("1995-02", "1995-01", "after"),
    ],
)
def test_a_bad_range_is_one_clear_error(first: str, last: str, named: str) -> None:
    with pytest.raises(BackfillError, match=named):
        MonthRange.parse(first, last)


def test_the_predicate_selects_the_months_on_the_partition_columns() -> None:
    months = MonthRange(199511, 199602)
    assert month_partitions(CONTRACTS["orders"]) == ("_order_year", "_order_month")
    assert scope_predicate(CONTRACTS["orders"], months) == (
        "(`_order_year` * 100 + `_order_month`) BETWEEN 199511 AND 199602"
    )
    assert "`_ship_year`" in str(scope_predicate(CONTRACTS["lineitem"], months))
    assert scope_predicate(CONTRACTS["customer"], None) is None  # --all: the whole table


def test_the_predicate_is_true_exactly_inside_the_range() -> None:
    import duckdb

    predicate = scope_predicate(CONTRACTS["orders"], MonthRange(199511, 199602)).replace("`", '"')
    inside = duckdb.sql(
        "SELECT y, m FROM (SELECT unnest(range(1994, 1998)) AS y) CROSS JOIN (SELECT unnest(range(1, 13)) AS m) "
        f"WHERE {predicate.replace('_order_year', 'y').replace('_order_month', 'm')} ORDER BY y, m"
    ).fetchall()
    assert inside == [(1995, 11), (1995, 12), (1996, 1), (1996, 2)]


def test_a_month_range_on_an_unpartitioned_entity_is_refused_naming_all() -> None:
    with pytest.raises(BackfillError, match=r"customer is not partitioned by month.*--all"):
        scope_predicate(CONTRACTS["customer"], MonthRange(199501, 199501))
    with pytest.raises(BackfillError, match="unknown entity 'order'"):
        get_entity("order")


def test_the_gold_tables_an_entity_feeds_directly_or_through_gold() -> None:
    assert affected_gold_tables("part") == ["dim_part", "agg_return_rate"]
    orders = affected_gold_tables("orders")
    assert {"dim_date", "fact_sales", "fact_orders", "dim_customer", "agg_cohort_retention"} <= set(orders)
    assert "dim_part" not in orders and "dim_geography" not in orders
    for entity in CONTRACTS:  # closed under "is built from": nothing downstream is missed
        tables = affected_gold_tables(entity)
        for build in GOLD_BUILDS:
            if entity in build.inputs or set(build.inputs) & set(tables):
                assert build.table in tables, (entity, build.table)


def test_the_lock_is_held_for_the_block_and_given_back(store: BatchStore) -> None:
    with pipeline_lock(store, "backfill-a"):
        assert store.lock_holder() == "backfill-a"
    assert store.lock_holder() is None
    with pytest.raises(RuntimeError), pipeline_lock(store, "backfill-b"):
        raise RuntimeError("the rebuild failed")
    assert store.lock_holder() is None  # given back on failure too


def test_a_held_lock_refuses_at_once_or_after_waiting_naming_its_holder(store: BatchStore) -> None:
    assert store.acquire_lock("batch-42", lease_s=600)
    with pytest.raises(PipelineBusy, match="held by batch-42"), pipeline_lock(store, "backfill-a"):
        pass
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the batch finishes while the backfill waits
        sleeps.append(seconds)
        store.release_lock("batch-42")

    with pipeline_lock(store, "backfill-a", wait_s=60, poll_s=5, sleep=sleep):
        assert store.lock_holder() == "backfill-a"
    assert sleeps == [5]
