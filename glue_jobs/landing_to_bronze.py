"""Glue job landing_to_bronze: one batch's claimed landing files -> bronze Delta (all entities).

Arguments: pipeline.COMMON_ARGUMENTS + ``--batch_id``; optional ``--codec zstd|snappy|gzip``.
Idempotent on the batch: a re-run commits nothing twice and marks the files LOADED.
"""

from __future__ import annotations

import logging
import sys

from gladiator.jobs import job_lineage, landing_to_bronze
from gladiator.jobs.context import BatchJobContext


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = BatchJobContext.from_argv("landing_to_bronze", argv)
    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        landing_to_bronze.run(ctx)
        job_lineage.landing_to_bronze(run, ctx, ctx.batches.files_in_batch(ctx.batch_id))


if __name__ == "__main__":
    main(sys.argv)
