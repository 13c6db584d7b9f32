"""Delta MERGE through ``gladiator.lake.guarded_merge``, two comparisons side by side (not a test).

1. Deletion vectors on/off. The stream's status-change MERGE touches a few rows in every partition
   of silver orders, so each micro-batch rewrites most of its files; deletion vectors would write
   only the changed rows plus a vector per touched file. Per round: an insert MERGE of new keys,
   then a partial-update MERGE of 2 % of the keys spread over every partition.
2. Key range on/off (``guarded_merge(key_range=...)``: the source's literal min/max of the key in
   the join, the only predicate Delta OSS skips target files on). The table's keys follow its
   dates, as the stream's orders do (a new order has a new key and a recent date). Per round: an
   insert MERGE of new keys, then a status MERGE of 2 % of the most recent 5 % of the keys.

Both on the same synthetic orders table (partitioned by month, on the lake bucket of the local stack).

    .venv/bin/python bench/bench_merge_dv.py [--rows 600000] [--rounds 3] [--only dv|key_range]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

from pyspark.sql import functions as F

from gladiator import lake
from gladiator.config import load_settings, use_local_credentials
from gladiator.spark import get_spark


def orders(spark, start: int, end: int, *, clustered_by: int | None = None):
    """Synthetic orders ``k`` in [start, end). Dates cycle over 2400 days, or, with
    ``clustered_by`` = the table's size, follow the key (new keys, new dates)."""
    day = "k % 2400" if clustered_by is None else f"k * 2400 / {clustered_by}"
    return (
        spark.range(start, end)
        .withColumnRenamed("id", "k")
        .withColumn("d", F.expr(f"date_add(date'1992-01-01', cast({day} as int))"))
        .withColumn("y", F.year("d"))
        .withColumn("m", F.month("d"))
        .withColumn("status", F.lit("O"))
        .withColumn("v", F.lit(1))
        .withColumn("pad", F.expr("repeat('x', 60)"))
    )


def merge_round(spark, path: str, new, changes, i: int, *, key_range: str | None = None) -> dict[str, float]:
    started = time.monotonic()
    lake.guarded_merge(
        new, path, keys=["k"], version_column="v", app_id="insert", version=i, key_range=key_range
    )
    inserted = time.monotonic()
    lake.guarded_merge(
        changes, path, keys=["k"], version_column="v", app_id="status", version=i,
        update_columns=["status", "v"], insert=False, key_range=key_range,
    )  # fmt: skip
    return {"insert_s": round(inserted - started, 1), "status_s": round(time.monotonic() - inserted, 1)}


def run_dv(spark, path: str, rows: int, rounds: int) -> list[dict[str, float]]:
    orders(spark, 0, rows).write.format("delta").partitionBy("y", "m").save(path)
    times = []
    for i in range(rounds):
        new = orders(spark, rows + i * 20_000, rows + (i + 1) * 20_000)
        changes = (
            spark.range(0, rows).sample(0.02, seed=i).withColumnRenamed("id", "k")
            .withColumn("status", F.lit("F")).withColumn("v", F.lit(2 + i))
        )  # fmt: skip
        times.append(merge_round(spark, path, new, changes, i))
    return times


def run_key_range(spark, root: str, rows: int, rounds: int) -> dict[str, object]:
    """The same rounds on two copies of one table, without and with the key range, interleaved."""
    paths = {"plain": f"{root}/kr_plain", "key_range": f"{root}/kr_range"}
    for path in paths.values():
        orders(spark, 0, rows, clustered_by=rows).write.format("delta").partitionBy("y", "m").save(path)
    times: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
    for i in range(rounds):
        top = rows + i * 20_000
        new = orders(spark, top, top + 20_000, clustered_by=rows).cache()
        recent = int(top * 0.95)
        changes = (
            spark.range(recent, top).sample(0.02, seed=i).withColumnRenamed("id", "k")
            .withColumn("status", F.lit("F")).withColumn("v", F.lit(2 + i)).cache()
        )  # fmt: skip
        for name, path in paths.items():
            times[name].append(
                merge_round(spark, path, new, changes, i, key_range="k" if name == "key_range" else None)
            )
    report: dict[str, object] = dict(times)
    for step in ("insert_s", "status_s"):
        plain = sum(r[step] for r in times["plain"])
        ranged = sum(r[step] for r in times["key_range"])
        report[f"{step.removesuffix('_s')}_ratio_plain_over_key_range"] = round(plain / ranged, 2)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("dv", "key_range"), default=None)
    args = parser.parse_args()
    use_local_credentials()
    settings = load_settings()
    spark = get_spark("bench-merge-dv", settings=settings)
    root = f"s3a://{settings.lake_bucket}/bench/merge-dv-{uuid.uuid4().hex[:6]}"
    report: dict[str, object] = {}
    if args.only in (None, "dv"):
        for enabled in ("false", "true"):
            spark.conf.set("spark.databricks.delta.properties.defaults.enableDeletionVectors", enabled)
            report[f"deletion_vectors_{enabled}"] = run_dv(
                spark, f"{root}/dv_{enabled}", args.rows, args.rounds
            )
        spark.conf.set("spark.databricks.delta.properties.defaults.enableDeletionVectors", "false")
        off = sum(r["status_s"] for r in report["deletion_vectors_false"])  # type: ignore[attr-defined]
        on = sum(r["status_s"] for r in report["deletion_vectors_true"])  # type: ignore[attr-defined]
        report["status_merge_ratio_dv_on_over_off"] = round(on / off, 2)
    if args.only in (None, "key_range"):
        report["key_range"] = run_key_range(spark, root, args.rows, args.rounds)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
