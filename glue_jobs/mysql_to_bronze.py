"""Glue job mysql_to_bronze: incremental (or full) parallel JDBC extraction of the OLTP tables.

Arguments: pipeline.COMMON_ARGUMENTS + ``--batch_id``; optional ``--extract_mode incremental|full`` (Glue reserves ``--mode``),
``--tables`` (comma-separated), ``--database`` (default: the mysql URL's), ``--fetchsize``,
``--max_partitions``, ``--overlap_seconds``, ``--batch_seq`` (default: the batch item's).
The source URL is Settings.mysql_url (``GLADIATOR_MYSQL_URL``; on AWS set by the stack).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import timedelta

from gladiator.errors import ConfigurationError
from gladiator.jobs import job_lineage
from gladiator.jobs.context import BatchJobContext
from gladiator.jobs.mysql_to_bronze import WatermarkStore, run_mysql_to_bronze
from gladiator.transforms import extract

OPTIONAL = {
    "extract_mode": "incremental",
    "tables": "",
    "database": "",
    "fetchsize": str(extract.DEFAULT_FETCHSIZE),
    "max_partitions": str(extract.DEFAULT_MAX_PARTITIONS),
    "overlap_seconds": str(int(extract.DEFAULT_OVERLAP.total_seconds())),
    "batch_seq": "",
}


def main(argv: list[str]) -> list[dict]:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = BatchJobContext.from_argv("mysql_to_bronze", argv, OPTIONAL)
    mode = ctx.args["extract_mode"]
    if mode not in ("incremental", "full"):
        raise ConfigurationError(f"--extract_mode {mode!r}: use incremental or full")
    seq = int(ctx.args["batch_seq"]) if ctx.args["batch_seq"] else ctx.batch_seq()
    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        results = _extract(ctx, mode, seq)
        job_lineage.mysql_to_bronze(run, ctx, results)
    print(json.dumps({"job": "mysql_to_bronze", "batch_id": ctx.batch_id, "tables": results}))
    return results


def _extract(ctx: BatchJobContext, mode: str, seq: int) -> list[dict]:
    return run_mysql_to_bronze(
        lambda: ctx.spark,  # started only if some table has rows to read
        source=extract.jdbc_source(ctx.settings.mysql_url, ctx.args["database"] or None),
        source_url=ctx.settings.mysql_url,
        record_input=lambda table, rows: ctx.runs.put_input(ctx.batch_id, "mysql", table, rows),
        store=WatermarkStore(ctx.args["job_state_table"], ctx.client("dynamodb")),
        bronze_root=ctx.uri("bronze", "").rstrip("/"),
        batch_id=ctx.batch_id,
        batch_seq=seq,
        full=mode == "full",
        tables=[t for t in ctx.args["tables"].split(",") if t] or None,
        fetchsize=int(ctx.args["fetchsize"]),
        max_partitions=int(ctx.args["max_partitions"]),
        overlap=timedelta(seconds=float(ctx.args["overlap_seconds"])),
    )


if __name__ == "__main__":
    main(sys.argv)
