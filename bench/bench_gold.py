"""Benchmark (not a test): silver -> gold on this machine, at one or more TPC-H scales.

For each scale: the truth (gladiator.generate), silver built from it (Delta, contract schema),
then, side by side in one run:
- build    : first silver_to_gold (every gold table created);
- rerun    : the same batch again (idempotent: every table skipped);
- next     : the next batch with one silver change (facts MERGEd, the rest overwritten).
Prints per-table seconds and the ratios next/build, rerun/build.

    .venv/bin/python bench/bench_gold.py --scale 0.1 --scale 1 [--lake s3a://<bucket>/bench]

Lake on local disk by default (measures Spark, not the emulator's S3); ``--lake`` puts it on S3.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from gladiator.contracts import CONTRACTS
from gladiator.contracts.types import spark_schema
from gladiator.generate import generate_truth
from gladiator.jobs.silver_to_gold import run_silver_to_gold
from gladiator.spark import get_spark
from gladiator.transforms.silver import partition_columns, with_partitions


def build_silver(spark, truth: Path, silver_root: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    rows = {}
    for entity, contract in CONTRACTS.items():
        df = spark.read.parquet(str(truth / entity))
        df = df.select([F.col(f.name).cast(f.dataType) for f in spark_schema(contract).fields])
        df = with_partitions(df, contract)
        df = df.withColumn("_batch_id", F.lit("bench")).withColumn("_source", F.lit("file"))
        writer = df.write.format("delta").mode("overwrite")
        if contract.partition_by:
            writer = writer.partitionBy(*partition_columns(contract))
        writer.save(f"{silver_root}/{entity}")
        rows[entity] = spark.read.format("delta").load(f"{silver_root}/{entity}").count()
    return rows


def timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def bench_scale(spark, scale: float, work: Path, lake: str | None) -> dict:  # type: ignore[no-untyped-def]
    generate_truth(work / "gen", scale=scale, seed=42)
    root = lake or str(work / "lake")
    silver, gold = f"{root}/silver", f"{root}/gold"
    rows, silver_s = timed(lambda: build_silver(spark, work / "gen" / "truth", silver))
    build, build_s = timed(
        lambda: run_silver_to_gold(spark, silver_root=silver, gold_root=gold, batch_id="b1", batch_seq=1)
    )
    _, rerun_s = timed(
        lambda: run_silver_to_gold(spark, silver_root=silver, gold_root=gold, batch_id="b1", batch_seq=1)
    )
    spark.sql(
        f"UPDATE delta.`{silver}/orders` SET o_orderpriority = '1-URGENT', updated_at = current_timestamp() "
        "WHERE o_orderkey % 1000 = 1"
    )
    nxt, next_s = timed(
        lambda: run_silver_to_gold(spark, silver_root=silver, gold_root=gold, batch_id="b2", batch_seq=2)
    )
    return {
        "scale": scale,
        "lineitem_rows": rows["lineitem"],
        "silver_load_s": round(silver_s, 1),
        "build_s": round(build_s, 1),
        "rerun_s": round(rerun_s, 1),
        "next_batch_s": round(next_s, 1),
        "ratio_next_vs_build": round(next_s / build_s, 2),
        "ratio_rerun_vs_build": round(rerun_s / build_s, 3),
        "lineitem_rows_per_s_build": round(rows["lineitem"] / build_s),
        "build_tables_s": {k: v["seconds"] for k, v in build.items()},
        "next_tables_s": {k: v["seconds"] for k, v in nxt.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, action="append", help="TPC-H scale (repeatable; default 0.1)")
    parser.add_argument("--lake", help="lake root URI (default: a local temporary folder)")
    args = parser.parse_args()
    spark = get_spark("bench_gold", driver_memory="3g")
    results = []
    for scale in args.scale or [0.1]:
        with tempfile.TemporaryDirectory(prefix=f"bench-gold-{scale}-") as work:
            lake = f"{args.lake}/sf{scale}" if args.lake else None
            result = bench_scale(spark, scale, Path(work), lake)
            print(json.dumps(result), flush=True)
            results.append(result)
    print("\nscale  lineitem   silver_s  build_s  rerun_s  next_s  next/build  rows/s(build)")
    for r in results:
        print(
            f"{r['scale']:<6} {r['lineitem_rows']:>9,} {r['silver_load_s']:>9} {r['build_s']:>8} {r['rerun_s']:>8}"
            f" {r['next_batch_s']:>7} {r['ratio_next_vs_build']:>11} {r['lineitem_rows_per_s_build']:>13,}"
        )
    spark.stop()


if __name__ == "__main__":
    main()
