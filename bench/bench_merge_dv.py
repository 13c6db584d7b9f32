"""Delta MERGE with and without deletion vectors, side by side (not a test).

The stream's status-change MERGE touches a few rows in every partition of silver orders, so each
micro-batch rewrites most of its files. Deletion vectors would write only the changed rows plus a
vector per touched file. This measures both on the same synthetic orders table (partitioned by
month, on the lake bucket of the local stack): per round an insert MERGE of new keys, then a
partial-update MERGE of 2 % of the keys spread over every partition.

    .venv/bin/python bench/bench_merge_dv.py [--rows 600000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

from pyspark.sql import functions as F

from gladiator.config import load_settings, use_local_credentials
from gladiator.spark import get_spark


def orders(spark, start: int, end: int):
    return (
        spark.range(start, end)
        .withColumnRenamed("id", "k")
        .withColumn("d", F.expr("date_add(date'1992-01-01', cast(k % 2400 as int))"))
        .withColumn("y", F.year("d"))
        .withColumn("m", F.month("d"))
        .withColumn("status", F.lit("O"))
        .withColumn("v", F.lit(1))
        .withColumn("pad", F.expr("repeat('x', 60)"))
    )


def run(spark, path: str, rows: int, rounds: int) -> list[dict[str, float]]:
    from delta.tables import DeltaTable

    orders(spark, 0, rows).write.format("delta").partitionBy("y", "m").save(path)
    times = []
    for i in range(rounds):
        new = orders(spark, rows + i * 20_000, rows + (i + 1) * 20_000)
        changes = (
            spark.range(0, rows).sample(0.02, seed=i).withColumnRenamed("id", "k")
            .withColumn("status", F.lit("F")).withColumn("v", F.lit(2 + i))
        )  # fmt: skip
        started = time.monotonic()
        (
            DeltaTable.forPath(spark, path).alias("t").merge(new.alias("s"), "t.k = s.k")
            .whenMatchedUpdateAll("s.v > t.v").whenNotMatchedInsertAll().execute()
        )  # fmt: skip
        inserted = time.monotonic()
        (
            DeltaTable.forPath(spark, path).alias("t").merge(changes.alias("s"), "t.k = s.k")
            .whenMatchedUpdate("s.v > t.v", {"status": "s.status", "v": "s.v"}).execute()
        )  # fmt: skip
        times.append(
            {"insert_s": round(inserted - started, 1), "status_s": round(time.monotonic() - inserted, 1)}
        )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    use_local_credentials()
    settings = load_settings()
    spark = get_spark("bench-merge-dv", settings=settings)
    root = f"s3a://{settings.lake_bucket}/bench/merge-dv-{uuid.uuid4().hex[:6]}"
    report = {}
    for enabled in ("false", "true"):
        spark.conf.set("spark.databricks.delta.properties.defaults.enableDeletionVectors", enabled)
        report[f"deletion_vectors_{enabled}"] = run(spark, f"{root}/dv_{enabled}", args.rows, args.rounds)
    off = sum(r["status_s"] for r in report["deletion_vectors_false"])
    on = sum(r["status_s"] for r in report["deletion_vectors_true"])
    report["status_merge_ratio_dv_on_over_off"] = round(on / off, 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
