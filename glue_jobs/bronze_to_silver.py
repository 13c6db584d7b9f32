"""Glue job bronze_to_silver: one batch's bronze rows -> quarantine + silver (all entities).

Arguments: pipeline.COMMON_ARGUMENTS + ``--batch_id``; optional ``--codec zstd|snappy|gzip``.
Idempotent on the batch; stores the per-entity reconciliation with the batch.
"""

from __future__ import annotations

import json
import logging
import sys

from gladiator.jobs import bronze_to_silver, job_lineage
from gladiator.jobs.context import BatchJobContext


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = BatchJobContext.from_argv("bronze_to_silver", argv)
    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        entities = bronze_to_silver.run(ctx)
        job_lineage.bronze_to_silver(run, ctx, entities)
    print(json.dumps({"job": "bronze_to_silver", "batch_id": ctx.batch_id, "entities": entities}))


if __name__ == "__main__":
    main(sys.argv)
