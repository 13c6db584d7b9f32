"""The EDA report over silver: its counts equal silver's (Spark), quarantine counts by reason equal
the quarantine table's, plots render in headless Chromium, and a second run reports what changed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from gladiator.config import Settings
from gladiator.contracts import CONTRACTS
from gladiator.eda import build_eda
from tests.integration import warehouse_support as support
from tests.integration.test_dashboard import ARTIFACTS, browser_page  # noqa: F401  (fixture)
from tests.tpch_truth import truth_frame, write_silver

pytestmark = pytest.mark.slow


def write_quarantine(spark: Any, root: str) -> dict[str, int]:
    """A quarantine table for orders (bronze columns as strings + _reason), as the cleaner writes it."""
    from pyspark.sql import functions as F

    orders = truth_frame(spark, support.truth_dir(), "orders").limit(9)
    rows = orders.select([F.col(c).cast("string").alias(c) for c in orders.columns])
    reasons = F.when(F.col("o_orderkey") % 3 == 0, "out_of_domain").otherwise("null_required")
    rows = rows.withColumn("_reason", reasons).withColumn("_reason_detail", F.lit("test"))
    rows.write.format("delta").save(f"{root}/orders")
    return {r["_reason"]: r["count"] for r in rows.groupBy("_reason").count().collect()}


def test_eda_report_counts_plots_and_changes(
    spark: Any,
    local_stack: Settings,
    tmp_path: Path,
    browser_page: Any,  # noqa: F811
) -> None:
    root = f"s3a://{local_stack.lake_bucket}/tests/eda-{uuid.uuid4().hex[:10]}"
    write_silver(spark, support.truth_dir(), f"{root}/silver")
    reasons = write_quarantine(spark, f"{root}/quarantine")
    s3_root = root.replace("s3a://", "s3://")
    out = tmp_path / "eda"

    report = build_eda(
        local_stack, out, silver_root=f"{s3_root}/silver", quarantine_root=f"{s3_root}/quarantine"
    )

    page = browser_page
    page.goto(report.as_uri())
    truth = duckdb.connect()
    for entity in CONTRACTS:  # silver was written from truth: its counts are truth's
        rows = pq.ParquetFile(support.truth_dir() / entity / "part-00000.parquet").metadata.num_rows
        shown = page.get_attribute(f"section.entity[data-entity={entity}]", "data-rows")
        assert shown is not None and int(shown) == rows, entity
        nulls = page.get_attribute(f"#entity-{entity} tr[data-column=updated_at]", "data-nulls")
        assert nulls == "0"
    o_custkey_distinct = truth.execute(
        f"SELECT COUNT(DISTINCT o_custkey) FROM read_parquet('{support.truth_dir()}/orders/*.parquet')"
    ).fetchone()[0]
    assert page.get_attribute("#entity-orders tr[data-column=o_custkey]", "data-distinct") == str(
        o_custkey_distinct
    )
    shown_reasons = {
        r: int(page.get_attribute(f"tr[data-quarantine-entity=orders][data-reason={r}]", "data-count"))
        for r in reasons
    }
    assert shown_reasons == reasons
    # plots are drawn and visible: monthly series and per-column distributions
    assert page.locator("#monthly svg rect").count() > 12
    assert page.locator("#monthly [data-series=orders] svg").is_visible()
    box = page.locator("#entity-lineitem svg").first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50
    assert page.get_attribute("#changes", "data-previous") == ""
    page.screenshot(path=str(ARTIFACTS / "eda.png"), full_page=False)
    assert page.console_errors == []
    assert page.locator("script").count() == 0  # self-contained, static

    # second run after silver changed: the report says what changed
    extra = truth_frame(spark, support.truth_dir(), "region").limit(2)
    from pyspark.sql import functions as F

    extra = extra.withColumn("r_regionkey", F.col("r_regionkey") + 100)
    for column in ("_batch_id", "_ingested_at", "_source"):
        extra = extra.withColumn(column, F.lit("b2") if column != "_ingested_at" else F.current_timestamp())
    extra.write.format("delta").mode("append").save(f"{root}/silver/region")
    build_eda(local_stack, out, silver_root=f"{s3_root}/silver", quarantine_root=f"{s3_root}/quarantine")
    page.goto(report.as_uri())
    assert page.get_attribute("#changes", "data-previous")
    change_rows = page.locator("#changes tr.change").all_inner_texts()
    assert any("region: rows" in row and "5" in row and "7" in row for row in change_rows), change_rows
