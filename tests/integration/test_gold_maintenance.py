"""Maintenance on a small partitioned Delta table on the lake (moto S3): OPTIMIZE + Z-ORDER compacts
without changing rows, the VACUUM guard refuses a short retention, a forced VACUUM deletes the
replaced files, and the symlink manifest lists exactly the table's current files."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

import boto3
import pytest

from gladiator import lake
from gladiator.config import Settings
from gladiator.errors import ConfigurationError
from gladiator.jobs.maintenance import LakeTable, maintain
from tests.spark_helpers import assert_same_rows

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _objects(settings: Settings, uri: str) -> list[str]:
    parsed = urlparse(uri)
    s3 = boto3.client("s3", **settings.boto3_kwargs())
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=parsed.netloc, Prefix=parsed.path.lstrip("/")
    ):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def _read_text(settings: Settings, bucket: str, key: str) -> str:
    s3 = boto3.client("s3", **settings.boto3_kwargs())
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def test_optimize_vacuum_manifest(spark: SparkSession, local_stack: Settings, lake_prefix: str) -> None:
    path = f"{lake_prefix}/gold/fact_test"
    for i in range(4):  # four small appends: several files per partition
        spark.range(i * 500, (i + 1) * 500).selectExpr(
            "id AS order_key",
            "id % 97 AS customer_key",
            "date_add(DATE '1995-01-01', CAST(id % 700 AS INT)) AS order_date",
        ).selectExpr("*", "year(order_date) AS _order_year").write.format("delta").mode("append").partitionBy(
            "_order_year"
        ).save(path)
    before = spark.read.format("delta").load(path).collect()
    files_before = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()["numFiles"]
    version_before = lake.table_version(spark, path)
    table = LakeTable(layer="gold", name="fact_test", path=path, zorder_by=("order_date", "customer_key"))

    with pytest.raises(ConfigurationError, match="168"):
        maintain(spark, [table], retention_hours=1)
    assert lake.table_version(spark, path) == version_before  # refused before touching anything

    report = maintain(spark, [table], retention_hours=0, force_retention=True)
    result = report["gold/fact_test"]
    assert result["optimize"]["numFilesRemoved"] == files_before

    after = spark.read.format("delta").load(path)
    assert_same_rows(after, spark.createDataFrame(before, after.schema))
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()
    partitions = after.select("_order_year").distinct().count()
    assert detail["numFiles"] == partitions < files_before
    ops = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").where("operation = 'OPTIMIZE'").collect()
    assert ops and "order_date" in ops[0]["operationParameters"]["zOrderBy"]

    keys = _objects(local_stack, path)
    data_files = {k for k in keys if k.endswith(".parquet") and "/_delta_log/" not in k}
    assert len(data_files) == detail["numFiles"], "VACUUM left replaced files behind"

    bucket = urlparse(path).netloc
    manifests = [k for k in keys if "/_symlink_format_manifest/" in k and k.endswith("manifest")]
    assert len(manifests) == partitions
    listed = {
        urlparse(line).path.lstrip("/")
        for key in manifests
        for line in _read_text(local_stack, bucket, key).splitlines()
        if line
    }
    assert listed == data_files
