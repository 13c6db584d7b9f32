"""Benchmark (not a test): MySQL extraction rows/s vs a bare SELECT dump of the same rows.

Seeds a throw-away database (``retail_bench_<uuid>``, dropped at the end; never ``retail``) at the
given TPC-H scale, then side by side in one run, per table and in total:
- dump      : a bare streaming ``SELECT *`` over one connection (pymysql SSCursor), rows discarded;
- jdbc x1   : Spark JDBC into bronze Delta, one reader (no split);
- jdbc xN   : the mysql_to_bronze extraction (split on the key, fetchsize tuned) into bronze.
The lake is a local folder (measures the database read, not the emulator's S3).

    .venv/bin/python bench/bench_mysql_extract.py --scale 0.1 [--partitions 4] [--fetchsize 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pymysql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/ (scratch_database) is not an installed package

from gladiator.config import load_settings, use_local_credentials  # noqa: E402
from gladiator.generate import generate_truth  # noqa: E402
from gladiator.jobs.mysql_to_bronze import WatermarkStore, run_mysql_to_bronze  # noqa: E402
from gladiator.oltp import connect, seed  # noqa: E402
from gladiator.spark import get_spark  # noqa: E402
from gladiator.transforms import extract  # noqa: E402
from tests.oltp_helpers import scratch_database  # noqa: E402

TABLES = ("customer", "part", "partsupp", "orders", "lineitem")


class MemoryStore(WatermarkStore):
    """Watermarks in memory: the benchmark measures reads, not DynamoDB."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def get(self, table: str):  # type: ignore[no-untyped-def]
        from gladiator.jobs.mysql_to_bronze import WatermarkState

        return self.items.get(table, WatermarkState(watermark=None))

    def set_pending(self, table: str, seq: int, window: extract.ExtractRange) -> None:
        from gladiator.jobs.mysql_to_bronze import WatermarkState

        self.items[table] = WatermarkState(watermark=None, pending_seq=seq, pending=window)

    def commit(self, table: str, seq: int, high: Any, rows: int, resume_from: Any = None) -> None:
        from gladiator.jobs.mysql_to_bronze import WatermarkState

        self.items[table] = WatermarkState(watermark=high, resume_from=resume_from)


def bare_dump(url: str, database: str, table: str) -> tuple[int, float]:
    conn = connect(url, database)
    started = time.perf_counter()
    rows = 0
    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        cur.execute(f"SELECT * FROM `{table}`")
        while batch := cur.fetchmany(10_000):
            rows += len(batch)
    elapsed = time.perf_counter() - started
    conn.close()
    return rows, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--fetchsize", type=int, default=extract.DEFAULT_FETCHSIZE)
    args = parser.parse_args()
    use_local_credentials()
    settings = load_settings("local")
    with (
        scratch_database(settings.mysql_url, "retail_bench") as database,
        tempfile.TemporaryDirectory(prefix="bench-mysql-") as work,
    ):
        generate_truth(Path(work) / "gen", scale=args.scale, seed=42)
        seeded = seed(settings.mysql_url, Path(work) / "gen" / "truth", database=database)
        print(f"seeded {database} at SF {args.scale}: {seeded.rows}")
        spark = get_spark("bench_mysql_extract")
        source = extract.jdbc_source(settings.mysql_url, database)
        print(
            f"\n{'table':<10} {'rows':>9} {'dump r/s':>10} {'jdbc x1 r/s':>12} {'jdbc xN r/s':>12} {'xN/dump':>8} {'xN/x1':>6}"
        )
        totals = {"rows": 0, "dump": 0.0, "one": 0.0, "many": 0.0}
        for seq, table in enumerate(TABLES, start=1):
            rows, dump_s = bare_dump(settings.mysql_url, database, table)
            timings = {}
            for label, parts in (("one", 1), ("many", args.partitions)):
                started = time.perf_counter()
                run_mysql_to_bronze(
                    spark,
                    source=source,
                    source_url=settings.mysql_url,
                    store=MemoryStore(),
                    bronze_root=f"{work}/{label}/bronze",
                    batch_id=f"bench-{seq}",
                    batch_seq=seq,
                    full=True,
                    tables=[table],
                    fetchsize=args.fetchsize,
                    max_partitions=parts,
                    rows_per_partition=max(1, rows // max(1, parts)),
                )
                timings[label] = time.perf_counter() - started
            totals["rows"] += rows
            totals["dump"] += dump_s
            totals["one"] += timings["one"]
            totals["many"] += timings["many"]
            print(
                f"{table:<10} {rows:>9,} {rows / dump_s:>10,.0f} {rows / timings['one']:>12,.0f}"
                f" {rows / timings['many']:>12,.0f} {dump_s / timings['many']:>8.2f} {timings['one'] / timings['many']:>6.2f}"
            )
        n = totals["rows"]
        print(
            f"{'TOTAL':<10} {n:>9,} {n / totals['dump']:>10,.0f} {n / totals['one']:>12,.0f}"
            f" {n / totals['many']:>12,.0f} {totals['dump'] / totals['many']:>8.2f} {totals['one'] / totals['many']:>6.2f}"
        )
        print(
            "(xN/dump = extraction speed as a fraction of the bare dump; xN/x1 = gain of the parallel split)"
        )
        spark.stop()


if __name__ == "__main__":
    main()
