"""Start the local job driver's Spark session, and exercise it, before a job needs it.

The ingestion service (``local_emulation.ingestion_service``) runs this in its driver when it
starts, while the user is still generating or dropping files: the JVM start, the Spark context and
Delta's session extension (about 10 s on 2 cores) are then paid before the first batch, not in
it; with ``--exercise`` it also runs :func:`exercise`, so the JIT has compiled the common Spark
and Delta paths too. Run as a job script (``local_emulation.job_driver``), so the session is the
one the jobs get (``gladiator.spark.get_spark`` returns the running session).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from gladiator.spark import get_spark


def exercise(spark: Any, work: Path) -> None:
    """A short Spark + Delta run on local files: a CSV read, a partitioned Delta write, a MERGE,
    a read back with an aggregate, a Parquet write (the work every batch job does). The class
    archive (``local_emulation.class_archive``) records the classes it loads."""
    from delta.tables import DeltaTable

    csv = work / "rows.csv"
    csv.write_text("k|v|d\n" + "".join(f"{i}|v{i}|1998-0{i % 9 + 1}-01\n" for i in range(200)))
    rows = spark.read.option("header", True).option("sep", "|").csv(str(csv))
    typed = rows.selectExpr("cast(k as int) k", "v", "cast(d as date) d", "year(cast(d as date)) y")
    table = str(work / "delta")
    typed.write.format("delta").partitionBy("y").save(table)
    changes = typed.where("k % 7 = 0").selectExpr("k", "concat(v, '!') v", "d", "y")
    (
        DeltaTable.forPath(spark, table)
        .alias("t")
        .merge(changes.alias("s"), "t.k = s.k")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    back = spark.read.format("delta").load(table)
    back.groupBy("y").count().collect()
    back.write.parquet(str(work / "parquet"))


def main(argv: list[str]) -> None:
    spark = get_spark("gladiator-local-driver")
    spark.range(1).collect()  # the scheduler and a first task, too
    if "--exercise" in argv:
        with tempfile.TemporaryDirectory(prefix="gladiator-warm-up-") as work:
            exercise(spark, Path(work))
    print("job driver warm: Spark session started", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
