"""TPC-H truth data for the gold / TPC-H query tests, and silver built from it.

``truth/<entity>/part-00000.parquet`` with ``arrow_schema(contract)`` is the shared generated-data
interface (HELPERS.md). Until ``gladiator generate`` exists it is made here with tpchgen-cli (the
same classic-dbgen data the generator wraps), with a fixed ``updated_at``. silver == truth is the
bronze->silver engineer's invariant, so gold tests may build silver straight from truth.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gladiator.contracts import CONTRACTS
from gladiator.contracts.types import arrow_schema, spark_schema
from gladiator.transforms.bronze import BATCH_ID, INGESTED_AT, SOURCE
from gladiator.transforms.silver import partition_columns, with_partitions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TRUTH_UPDATED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def make_truth(out: Path, scale: float) -> Path:
    """Write ``out/truth/<entity>/part-00000.parquet`` for every entity; returns ``out/truth``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    truth = out / "truth"
    if all((truth / e / "part-00000.parquet").exists() for e in CONTRACTS):
        return truth
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    tpchgen = Path(sys.executable).parent / "tpchgen-cli"
    subprocess.run([str(tpchgen), "parquet", "-s", str(scale), "-o", str(raw)], check=True)
    for name, contract in CONTRACTS.items():
        table = pq.read_table(raw / f"{name}.parquet")
        stamp = pa.array([TRUTH_UPDATED_AT] * table.num_rows, pa.timestamp("us", tz="UTC"))
        table = table.append_column("updated_at", stamp).cast(arrow_schema(contract))
        (truth / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(table, truth / name / "part-00000.parquet")
    return truth


def truth_frame(spark: SparkSession, truth: Path, entity: str) -> DataFrame:
    """One truth entity read by Spark with the contract schema."""
    from pyspark.sql import functions as F

    schema = spark_schema(CONTRACTS[entity])
    df = spark.read.parquet(str(truth / entity))
    return df.select([F.col(f.name).cast(f.dataType) for f in schema.fields])


def write_silver(spark: SparkSession, truth: Path, silver_root: str, batch_id: str = "truth") -> None:
    """silver/<entity> Delta tables = truth (contract columns + partition columns + metadata)."""
    from pyspark.sql import functions as F

    for entity, contract in CONTRACTS.items():
        df = truth_frame(spark, truth, entity)
        df = with_partitions(df, contract)
        df = (
            df.withColumn(BATCH_ID, F.lit(batch_id))
            .withColumn(INGESTED_AT, F.current_timestamp())
            .withColumn(SOURCE, F.lit("file"))
        )
        writer = df.write.format("delta").mode("overwrite")
        if contract.partition_by:
            writer = writer.partitionBy(*partition_columns(contract))
        writer.save(f"{silver_root}/{entity}")
