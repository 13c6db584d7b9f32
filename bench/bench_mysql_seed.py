"""Benchmark: `mysql seed` (schema + LOAD DATA of the truth, keys and indexes) in rows/s vs a bare
LOAD DATA of the same CSV files into key-only tables, side by side in one run.

    .venv/bin/python bench/bench_mysql_seed.py [--scale 1]

Uses its own database (retail_bench_<uuid>, created as the local root and dropped at the end), so
the demo's `retail` database is never touched. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/ (scratch_database) is not an installed package

from gladiator.config import load_settings  # noqa: E402
from gladiator.contracts import CONTRACTS, ENTITY_NAMES  # noqa: E402
from gladiator.contracts.types import sql_type  # noqa: E402
from gladiator.generate import generate_truth  # noqa: E402
from gladiator.oltp import connect, seed  # noqa: E402
from gladiator.oltp.seed import export_for_load, load_file  # noqa: E402
from tests.oltp_helpers import scratch_database  # noqa: E402


def bare_load(url: str, database: str, staged: dict[str, Path]) -> float:
    """LOAD DATA the exported files into tables with the same columns and primary key only."""
    conn = connect(url, database)
    try:
        with conn.cursor() as cur:
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            for name in reversed(ENTITY_NAMES):
                cur.execute(f"DROP TABLE IF EXISTS `{name}`")
            for name in ENTITY_NAMES:
                contract = CONTRACTS[name]
                columns = ", ".join(f"`{c.name}` {sql_type(c, 'mysql')} NOT NULL" for c in contract.columns)
                pk = ", ".join(f"`{k}`" for k in contract.primary_key)
                cur.execute(f"CREATE TABLE `{name}` ({columns}, PRIMARY KEY ({pk})) ENGINE=InnoDB")
            cur.execute("SET UNIQUE_CHECKS = 0")
        conn.commit()
        started = time.perf_counter()
        for name in ENTITY_NAMES:
            load_file(conn, name, staged[name])
            conn.commit()
        return time.perf_counter() - started
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    settings = load_settings("local")
    with (
        scratch_database(settings.mysql_url, "retail_bench") as database,
        tempfile.TemporaryDirectory(prefix="bench-mysql-") as scratch,
    ):
        out = Path(scratch)
        print(f"generating the truth at scale {args.scale:g} (not timed)", flush=True)
        generate_truth(out / "gen", scale=args.scale, seed=1)
        truth = out / "gen" / "truth"
        staged = {name: out / f"{name}.csv" for name in ENTITY_NAMES}
        rows = sum(
            export_for_load(truth / name / "part-00000.parquet", name, staged[name]) for name in ENTITY_NAMES
        )
        load = os.getloadavg()[0]
        bare = bare_load(settings.mysql_url, database, staged)
        report = seed(settings.mysql_url, truth, database=database)
        print(
            f"scale {args.scale:g}: {rows:,} rows, load average before {load:.1f} on {os.cpu_count()} cores"
        )
        print(f"  bare LOAD DATA (PK only)      {bare:7.1f} s  {rows / bare:>10,.0f} rows/s")
        print(
            f"  mysql seed, LOAD DATA part    {report.load_seconds:7.1f} s  {rows / report.load_seconds:>10,.0f} rows/s"
        )
        print(
            f"  mysql seed, end to end        {report.seconds:7.1f} s  {rows / report.seconds:>10,.0f} rows/s"
        )
        print(f"  mysql seed, index + FK build  {report.index_seconds:7.1f} s")
        print(f"  ratio seed end-to-end / bare  {report.seconds / bare:7.2f}x")


if __name__ == "__main__":
    main()
