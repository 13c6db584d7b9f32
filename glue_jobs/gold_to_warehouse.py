"""Glue job gold_to_warehouse: load each gold table's current Delta version into the warehouse.

Arguments: pipeline.COMMON_ARGUMENTS + ``--batch_id``; optional ``--schema`` (warehouse schema,
default ``gold``) and ``--tables`` (comma-separated subset). Exactly once per gold Delta version:
manifest COPY -> staging -> MERGE in one transaction, then the load ledger (gladiator.warehouse).
No Spark: the Delta log is read directly and the warehouse does the work (Redshift COPY).
"""

from __future__ import annotations

import json
import logging
import sys

from gladiator.contracts.gold import GOLD_TABLES, get_gold_contract
from gladiator.jobs import job_lineage
from gladiator.jobs.context import BatchJobContext
from gladiator.warehouse import load_gold
from gladiator.warehouse.ledger import LoadLedger

OPTIONAL = {"schema": "gold", "tables": ""}


def main(argv: list[str]) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = BatchJobContext.from_argv("gold_to_warehouse", argv, OPTIONAL)
    names = [t for t in ctx.args["tables"].split(",") if t] or list(GOLD_TABLES)
    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        report = _load(ctx, names)
        job_lineage.gold_to_warehouse(run, ctx, report)
    print(json.dumps({"job": "gold_to_warehouse", "batch_id": ctx.batch_id, **report}))
    return report


def _load(ctx: BatchJobContext, names: list[str]) -> dict:
    summary = load_gold(
        ctx.settings,
        schema=ctx.args["schema"],
        contracts=[get_gold_contract(n) for n in names],
        table_uris={n: ctx.uri("gold", n) for n in names},
        ledger=LoadLedger(ctx.args["job_state_table"], ctx.client("dynamodb")),
        s3=ctx.client("s3"),
    )
    return summary.as_dict()


if __name__ == "__main__":
    main(sys.argv)
