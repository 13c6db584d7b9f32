"""Glue job silver_to_gold: silver Delta -> gold star schema + dashboard aggregates.

Arguments: pipeline.COMMON_ARGUMENTS + ``--batch_id``; optional ``--batch_seq`` (default: the
batch item's), ``--tables`` (comma-separated subset of the aggregates; the star schema is always
built), ``--register false`` (skip the catalog), ``--rebuild all`` (every table, whatever moved).

Rebuilds only the gold tables downstream of silver tables that moved since the last complete
build (``gladiator.jobs.silver_to_gold.plan_rebuild``); nothing moved: Spark is never started.
"""

from __future__ import annotations

import json
import logging
import sys

from gladiator.jobs import job_lineage
from gladiator.jobs.context import BatchJobContext
from gladiator.jobs.silver_to_gold import GoldState, catalog_register, plan_rebuild, run_silver_to_gold
from gladiator.transforms.gold_registry import SILVER_INPUTS
from gladiator.warehouse.delta_log import DeltaLogReader

OPTIONAL = {"batch_seq": "", "tables": "", "register": "true", "rebuild": "changed"}


def main(argv: list[str]) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = BatchJobContext.from_argv("silver_to_gold", argv, OPTIONAL)
    seq = int(ctx.args["batch_seq"]) if ctx.args["batch_seq"] else ctx.batch_seq()

    tables = [t for t in ctx.args["tables"].split(",") if t] or None
    log_reader = DeltaLogReader(ctx.client("s3"))
    versions = {name: log_reader.latest_version(ctx.uri("silver", name)) for name in SILVER_INPUTS}
    gold_root = ctx.uri("gold", "").rstrip("/")
    state = GoldState(ctx.args["job_state_table"], ctx.client("dynamodb"), gold_root)
    built_from = None if ctx.args["rebuild"] == "all" else state.built_from()
    rebuild = plan_rebuild(versions, built_from, tables)
    logging.getLogger(__name__).info(
        "gold: rebuilding %s", ", ".join(sorted(rebuild)) or "nothing (silver unchanged)"
    )
    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        report = (
            {}
            if not rebuild
            else run_silver_to_gold(
                ctx.spark,
                silver_root=ctx.uri("silver", "").rstrip("/"),
                gold_root=gold_root,
                batch_id=ctx.batch_id,
                batch_seq=seq,
                tables=tables,
                register=catalog_register(ctx) if ctx.args["register"].lower() != "false" else None,
                rebuild=rebuild,
                silver_versions=versions,
                built_from=built_from,
            )
        )
        job_lineage.silver_to_gold(run, ctx, report)
    if tables is None:  # every table is now f(silver at these versions)
        state.record({k: v for k, v in versions.items() if v is not None}, ctx.batch_id)
    print(json.dumps({"job": "silver_to_gold", "batch_id": ctx.batch_id, "batch_seq": seq, "tables": report}))
    return report


if __name__ == "__main__":
    main(sys.argv)
