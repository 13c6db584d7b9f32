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
    date_partition,
    get_entity,
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


def test_the_predicate_bounds_the_year_partitions_and_the_date_column() -> None:
    months = MonthRange(199511, 199602)
    assert date_partition(CONTRACTS["orders"]) == ("_order_year", "o_orderdate")
    assert date_partition(CONTRACTS["lineitem"]) == ("_ship_year", "l_shipdate")
    assert scope_predicate(CONTRACTS["orders"], months) == (
        "`_order_year` BETWEEN 1995 AND 1996 AND `o_orderdate` >= DATE'1995-11-01' AND `o_orderdate` < DATE'1996-03-01'"
    )
    assert "`_ship_year` BETWEEN 1995 AND 1996" in str(scope_predicate(CONTRACTS["lineitem"], months))
    assert scope_predicate(CONTRACTS["customer"], None) is None  # --all: the whole table


@pytest.mark.parametrize(
    ("first", "last", "days"),
    [
        (199511, 199602, ("1995-11-01", "1996-02-29")),
        (199512, 199512, ("1995-12-01", "1995-12-31")),  # December: the bound is next year's January
        (199601, 199601, ("1996-01-01", "1996-01-31")),
    ],
)
def test_the_predicate_is_true_exactly_on_the_days_of_the_range(
    first: int, last: int, days: tuple[str, str]
) -> None:
    import duckdb

    predicate = scope_predicate(CONTRACTS["orders"], MonthRange(first, last)).replace("`", '"')
    inside = duckdb.sql(
        "SELECT min(o_orderdate)::VARCHAR, max(o_orderdate)::VARCHAR, count(*) FROM ("
        "SELECT d::DATE AS o_orderdate, year(d) AS _order_year "
        "FROM range(DATE '1994-01-01', DATE '1998-01-01', INTERVAL 1 DAY) t(d)) "
        f"WHERE {predicate}"
    ).fetchone()
    import datetime as dt

    span = (dt.date.fromisoformat(days[1]) - dt.date.fromisoformat(days[0])).days + 1
    assert inside == (days[0], days[1], span)


def test_a_month_range_on_an_unpartitioned_entity_is_refused_naming_all() -> None:
    with pytest.raises(BackfillError, match=r"customer is not partitioned by a date.*--all"):
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
