"""MySQL extraction planning and the maintenance retention guard (pure functions)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gladiator.contracts import get_contract
from gladiator.errors import ConfigurationError
from gladiator.jobs.maintenance import MIN_RETENTION_HOURS, check_retention, lake_tables
from gladiator.transforms import extract

T0 = datetime(2026, 1, 1, 12, 0, 0, 123456)


def test_jdbc_source_from_settings_url() -> None:
    src = extract.jdbc_source("mysql://gl:p%40ss@127.0.0.1:13306/retail")
    assert src.url.startswith("jdbc:mariadb://127.0.0.1:13306/retail?")
    assert "sql_mode='ANSI_QUOTES'" in src.url  # Spark quotes identifiers with double quotes
    assert (src.user, src.password, src.database) == ("gl", "p@ss", "retail")
    assert extract.jdbc_source("mysql://u:p@h:1/retail", "other").database == "other"
    with pytest.raises(ConfigurationError):
        extract.jdbc_source("postgresql://u@h/db")


def test_window_first_run_full_and_incremental_with_overlap() -> None:
    later = T0 + timedelta(hours=1)
    assert extract.plan_range(watermark=None, source_max=T0, full=False) == extract.ExtractRange(
        low=None, high=T0
    )
    assert extract.plan_range(watermark=T0, source_max=later, full=True).low is None
    inc = extract.plan_range(watermark=T0, source_max=later, full=False, overlap=timedelta(minutes=5))
    assert inc == extract.ExtractRange(low=T0 - timedelta(minutes=5), high=later)
    assert extract.plan_range(watermark=T0, source_max=None, full=False) is None


def test_watermark_never_moves_backwards() -> None:
    earlier = T0 - timedelta(days=1)  # e.g. the newest row was deleted
    assert extract.plan_range(watermark=T0, source_max=earlier, full=False).high == T0


def test_window_predicate_is_exclusive_low_inclusive_high() -> None:
    window = extract.ExtractRange(low=T0, high=T0 + timedelta(seconds=1))
    assert extract.window_predicate(window) == (
        "`updated_at` > '2026-01-01 12:00:00.123456' AND `updated_at` <= '2026-01-01 12:00:01.123456'"
    )
    assert extract.window_predicate(extract.ExtractRange(low=None, high=T0)) == (
        "`updated_at` <= '2026-01-01 12:00:00.123456'"
    )


def test_parallel_split_on_the_primary_key() -> None:
    lineitem = get_contract("lineitem")
    window = extract.ExtractRange(low=None, high=T0)
    plan = extract.plan_extract(lineitem, window, min_key=1, max_key=6_000_000, rows=6_001_215)
    options = plan.options()
    assert options["partitionColumn"] == "l_orderkey" and options["numPartitions"] == "8"
    assert (options["lowerBound"], options["upperBound"]) == ("1", "6000001")
    assert options["fetchsize"] == str(extract.DEFAULT_FETCHSIZE)
    assert "WHERE `updated_at` <=" in options["dbtable"] and options["dbtable"].endswith(") AS src")
    small = extract.plan_extract(get_contract("region"), window, min_key=0, max_key=4, rows=5)
    assert small.num_partitions == 1 and "partitionColumn" not in small.options()
    assert extract.num_partitions(0) == 1 and extract.num_partitions(600_000, rows_per_partition=250_000) == 3
    assert "MIN(`l_orderkey`)" in extract.bounds_query(lineitem, window)


def test_vacuum_retention_guard() -> None:
    check_retention(MIN_RETENTION_HOURS)
    with pytest.raises(ConfigurationError, match="168"):
        check_retention(24)
    check_retention(0, force=True)
    with pytest.raises(ConfigurationError):
        check_retention(-1, force=True)


def test_maintained_tables_zorder_by_contract_cluster_keys() -> None:
    tables = {f"{t.layer}/{t.name}": t for t in lake_tables("s3://lake")}
    assert tables["silver/lineitem"].zorder_by == ("l_orderkey", "l_partkey")
    assert tables["gold/fact_sales"].path == "s3://lake/gold/fact_sales"
    assert tables["gold/fact_sales"].zorder_by == ("order_date", "customer_key")
    with pytest.raises(ConfigurationError):
        lake_tables("s3://lake", ["platinum"])


def test_window_resumes_where_the_last_view_was_complete() -> None:
    later = T0 + timedelta(hours=1)
    resumed = extract.plan_range(watermark=T0, source_max=later, full=False, resume_from=T0)
    assert resumed == extract.ExtractRange(low=T0, high=later)  # no overlap re-read
    # nothing new: an empty window (low == high), read by a bounds query only
    idle = extract.plan_range(watermark=T0, source_max=T0, full=False, resume_from=T0)
    assert idle == extract.ExtractRange(low=T0, high=T0)


def test_resume_point_goes_back_to_the_oldest_open_transaction() -> None:
    now = T0 + timedelta(seconds=30)
    assert extract.resume_point(T0, None, now) == T0  # nothing open: resume at what was read
    # a transaction open for 60 s started before the window's high end: resume before its start
    assert extract.resume_point(T0, timedelta(seconds=60), now) == now - timedelta(seconds=61)
    # one younger than the high end cannot hold rows stamped at or below it
    assert extract.resume_point(T0, timedelta(seconds=5), now) == T0
