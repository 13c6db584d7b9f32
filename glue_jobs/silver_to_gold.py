"""Glue job silver_to_gold: silver Delta -> gold star schema + dashboard aggregates.

Arguments: pipeline.COMMON_ARGUMENTS + ``--batch_id``; optional ``--batch_seq`` (default: the
batch item's), ``--tables`` (comma-separated subset of the aggregates; the star schema is always
built), ``--register false`` (skip the catalog).
"""

from __future__ import annotations

import json
import logging
import sys

from gladiator.jobs import job_lineage
from gladiator.jobs.context import BatchJobContext
from gladiator.jobs.silver_to_gold import run_silver_to_gold

OPTIONAL = {"batch_seq": "", "tables": "", "register": "true"}


def main(argv: list[str]) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = BatchJobContext.from_argv("silver_to_gold", argv, OPTIONAL)
    seq = int(ctx.args["batch_seq"]) if ctx.args["batch_seq"] else ctx.batch_seq()

    def register(name: str, location: str, schema, partitions, doc) -> None:
        ctx.register("gold", name, schema, list(partitions))

    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        report = run_silver_to_gold(
            ctx.spark,
            silver_root=ctx.uri("silver", "").rstrip("/"),
            gold_root=ctx.uri("gold", "").rstrip("/"),
            batch_id=ctx.batch_id,
            batch_seq=seq,
            tables=[t for t in ctx.args["tables"].split(",") if t] or None,
            register=register if ctx.args["register"].lower() != "false" else None,
        )
        job_lineage.silver_to_gold(run, ctx, report)
    print(json.dumps({"job": "silver_to_gold", "batch_id": ctx.batch_id, "batch_seq": seq, "tables": report}))
    return report


if __name__ == "__main__":
    main(sys.argv)
