"""Glue job backfill: rebuild one entity's silver months from bronze, then the gold it feeds.

Arguments: pipeline.COMMON_ARGUMENTS + ``--batch_id`` (the run id: the state machine execution
name, the pipeline lock's holder), ``--entity``, ``--from YYYY-MM``, ``--to YYYY-MM`` (both
``all``: the whole table); optional ``--wait_s`` (seconds to wait for a running batch's lock,
default 0: refuse at once). Started by the state machine's backfill branch
(``gladiator backfill``); see gladiator/jobs/backfill.py.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict

from gladiator.jobs import backfill, job_lineage
from gladiator.jobs.args import parse_job_args
from gladiator.jobs.context import BatchJobContext
from gladiator.pipeline import COMMON_ARGUMENTS

REQUIRED = [a.removeprefix("--") for a in COMMON_ARGUMENTS] + ["batch_id", "entity", "from", "to"]
OPTIONAL = {"codec": "zstd", "wait_s": "0"}


def main(argv: list[str]) -> backfill.BackfillReport:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = BatchJobContext(name="backfill", args=parse_job_args(argv, REQUIRED, OPTIONAL))
    args = ctx.args
    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        report = backfill.run(ctx, args["entity"], args["from"], args["to"], wait_s=float(args["wait_s"]))
        job_lineage.bronze_to_silver(
            run, ctx, {report.entity: {"accepted": report.silver["written"], "quarantined": 0}}
        )
        job_lineage.silver_to_gold(run, ctx, report.gold)
    print(json.dumps({"job": "backfill", **asdict(report)}))
    return report


if __name__ == "__main__":
    main(sys.argv)
