"""`seed`: (re)create the operational schema and bulk-load the truth with LOAD DATA LOCAL INFILE.

The truth is clean, so tables are created with their primary key only, loaded with foreign-key
and unique checks off, and get their updated_at index and foreign keys afterwards (one sorted
index build each instead of a B-tree insert per row); counts and load warnings are verified.
Idempotent: tables are dropped and recreated.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pymysql

from gladiator.contracts import CONTRACTS, ENTITY_NAMES
from gladiator.generate.api import generate_truth
from gladiator.generate.render import to_text
from gladiator.oltp.connection import OltpError, connect, database_of
from gladiator.oltp.schema import add_secondary, create_schema, table_counts

Progress = Callable[[str], None]


@dataclass
class SeedReport:
    database: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # everything, including generating the truth if needed
    load_seconds: float = 0.0  # LOAD DATA only
    index_seconds: float = 0.0  # adding indexes and foreign keys after the load

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def export_for_load(truth_file: Path, entity: str, target: Path) -> int:
    """Write one truth Parquet file as CSV for LOAD DATA (RFC 4180 quoting, header); returns rows."""
    table = pq.read_table(truth_file)
    pacsv.write_csv(to_text(table, CONTRACTS[entity]), target)
    return table.num_rows


def load_file(conn: pymysql.Connection, entity: str, path: Path) -> None:
    """LOAD DATA LOCAL INFILE one exported CSV into its table (no commit)."""
    columns = ", ".join(f"`{c}`" for c in CONTRACTS[entity].column_names)
    with conn.cursor() as cur:
        cur.execute(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE `{entity}` CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
            f"LINES TERMINATED BY '\\n' IGNORE 1 LINES ({columns})",
            (str(path),),
        )
        cur.execute("SHOW COUNT(*) WARNINGS")
        warnings = cur.fetchone()
        if warnings and warnings[0]:
            cur.execute("SHOW WARNINGS LIMIT 3")
            raise OltpError(f"LOAD DATA into {entity} gave {warnings[0]} warning(s): {cur.fetchall()}")


def seed(
    url: str,
    truth_dir: Path | None = None,
    *,
    scale: float = 0.01,
    generator_seed: int = 42,
    database: str | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Create the schema in ``database`` (default: the URL's) and load the truth into it.

    ``truth_dir`` is a generator's DIR/truth (``gladiator generate``); without it the truth is
    generated at ``scale`` first. Returns the loaded row counts (verified against the files).
    """
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    report = SeedReport(database=database or database_of(url))
    with tempfile.TemporaryDirectory(prefix="gladiator-seed-") as scratch:
        if truth_dir is None:
            say(f"generating the truth at scale {scale:g}")
            generate_truth(Path(scratch) / "gen", scale=scale, seed=generator_seed)
            truth_dir = Path(scratch) / "gen" / "truth"
        conn = connect(url, database)
        try:
            say(f"creating the schema in {report.database}")
            create_schema(conn, secondary=False)
            with conn.cursor() as cur:
                cur.execute("SET FOREIGN_KEY_CHECKS = 0")
                cur.execute("SET UNIQUE_CHECKS = 0")
            expected = {}
            for name in ENTITY_NAMES:
                source = Path(truth_dir) / name / "part-00000.parquet"
                if not source.exists():
                    raise OltpError(f"{source} not found: pass a generator's truth folder (DIR/truth)")
                staged = Path(scratch) / f"{name}.csv"
                expected[name] = export_for_load(source, name, staged)
                say(f"loading {name} ({expected[name]:,} rows)")
                load_started = time.perf_counter()
                load_file(conn, name, staged)
                conn.commit()
                report.load_seconds += time.perf_counter() - load_started
                staged.unlink()
            with conn.cursor() as cur:
                cur.execute("SET UNIQUE_CHECKS = 1")
            say("adding updated_at indexes and foreign keys")
            index_started = time.perf_counter()
            add_secondary(conn)
            report.index_seconds = time.perf_counter() - index_started
            report.rows = table_counts(conn)
        finally:
            conn.close()
    if report.rows != expected:
        raise OltpError(f"loaded counts {report.rows} differ from the truth {expected}")
    report.seconds = time.perf_counter() - started
    return report
