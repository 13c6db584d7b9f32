"""landing_to_bronze: the claimed landing files of one batch -> bronze Delta, all entities in one job.

Per entity (side by side, ``gladiator.jobs.parallel``): parse the entity's files (gladiator.transforms.bronze), record the
counts, append malformed records to quarantine and the rows to bronze, each commit idempotent on
``(app_id, batch_seq)``. After every entity is committed, the batch's files become LOADED in the
ledger. A crash anywhere is safe to re-run: committed entities are skipped (their Delta txn is
there), and LOADED is only set after all commits (a crash between the last commit and the ledger
update leaves CLAIMED files whose rows are in bronze; the re-run skips the writes and marks them).
"""

from __future__ import annotations

import logging
from collections import defaultdict

from gladiator import lake
from gladiator.contracts import CONTRACTS, Contract
from gladiator.errors import GladiatorError
from gladiator.formats import FORMATS, format_of
from gladiator.ingestion.model import LedgerEntry, LedgerState
from gladiator.jobs import parallel
from gladiator.jobs.context import BatchJobContext, crash_point
from gladiator.quality import RuleResult
from gladiator.transforms import bronze

log = logging.getLogger(__name__)

APP_ID = "landing_to_bronze"
STAGE = "landing"
# The data-quality rule of the landing stage: a record parses into the contract's columns (a
# malformed one is quarantined here, before silver's checks).
LANDING_RULE = "record_parses"


def landing_files(entries: list[LedgerEntry], batch_id: str) -> dict[str, list[bronze.LandingFile]]:
    """The batch's files grouped by entity (files of other batches or unknown format refused)."""
    grouped: dict[str, list[bronze.LandingFile]] = defaultdict(list)
    for entry in entries:
        if entry.batch_id != batch_id or entry.state not in (LedgerState.CLAIMED, LedgerState.LOADED):
            raise GladiatorError(
                f"{entry.file_id}: state {entry.state} in batch {entry.batch_id}, not {batch_id}"
            )
        fmt = entry.format or format_of(entry.key)
        if entry.entity not in CONTRACTS or fmt not in FORMATS:
            raise GladiatorError(
                f"{entry.file_id}: entity {entry.entity!r} / format {fmt!r} cannot be loaded"
            )
        grouped[entry.entity].append(
            bronze.LandingFile(uri=entry.s3_uri, entity=entry.entity, format=fmt, version_id=entry.version_id)
        )
    return grouped


def _check_order(ctx: BatchJobContext, path: str, seq: int) -> bool:
    """True if this batch is already committed to ``path``; raises if a later batch was committed
    but not this one (Delta would silently skip an older txnVersion)."""
    committed = lake.committed_txn_version(ctx.spark, path, APP_ID)
    if committed is None or committed < seq:
        return False
    if committed == seq:
        return True
    from pyspark.sql import functions as F

    present = ctx.spark.read.format("delta").load(path).where(F.col(bronze.BATCH_ID) == ctx.batch_id).limit(1)
    if present.count():
        return True
    raise GladiatorError(
        f"{path}: batch seq {committed} is committed but batch {ctx.batch_id} (seq {seq}) is not; "
        "batches must load in sequence order: release this batch and let a new batch claim its files"
    )


def load_entity(ctx: BatchJobContext, contract: Contract, files: list[bronze.LandingFile], seq: int) -> None:
    from pyspark.sql import functions as F

    from gladiator.spark import batch_cache_level

    bronze_path = ctx.uri("bronze", contract.name)
    quarantine_path = ctx.uri("quarantine", contract.name)
    if _check_order(ctx, bronze_path, seq):
        log.info("%s: batch %s already in bronze; skipped", contract.name, ctx.batch_id)
        return
    fetch = bronze.s3_fetcher(ctx.settings)
    parsed = bronze.read_landing_files(ctx.spark, files, contract, fetch).persist(batch_cache_level())
    try:
        counts = {
            bool(r["ok"]): int(r["n"])
            for r in parsed.groupBy(F.col(bronze.PARSE_ERROR).isNull().alias("ok"))
            .agg(F.count(F.lit(1)).alias("n"))
            .collect()
        }
        loaded, malformed = counts.get(True, 0), counts.get(False, 0)
        ctx.runs.put_counts(
            ctx.batch_id,
            STAGE,
            contract.name,
            {
                "files": len(files),
                "rows_read": loaded + malformed,
                "rows_loaded": loaded,
                "malformed": malformed,
            },
        )
        parses = RuleResult(
            run_id=ctx.batch_id,
            entity=contract.name,
            rule=LANDING_RULE,
            checked=loaded + malformed,
            failed=malformed,
            text="the record parses into the contract's columns",
        )
        ctx.quality.put([parses])
        meta = {"batch_id": ctx.batch_id, "job": APP_ID}
        if malformed:
            rejected = bronze.malformed_to_quarantine(
                parsed, contract, batch_id=ctx.batch_id, ingested_at=ctx.started_at
            )
            lake.idempotent_append(rejected, quarantine_path, app_id=APP_ID, version=seq, user_metadata=meta)
            ctx.register("quarantine", contract.name, rejected.schema)
        rows = bronze.to_bronze(parsed, contract, batch_id=ctx.batch_id, ingested_at=ctx.started_at)
        ctx.runs.put_input(ctx.batch_id, STAGE, contract.name, loaded)  # bronze_to_silver visits it
        crash_point(f"before_bronze_commit:{contract.name}")
        lake.idempotent_append(rows, bronze_path, app_id=APP_ID, version=seq, user_metadata=meta)
        ctx.register("bronze", contract.name, rows.schema)
        log.info("%s: %d rows to bronze, %d malformed to quarantine", contract.name, loaded, malformed)
    finally:
        parsed.unpersist()


def run(ctx: BatchJobContext) -> None:
    """Load every file of the batch into bronze, the entities side by side
    (``gladiator.jobs.parallel``: they share nothing), then mark the files LOADED."""
    seq = ctx.batch_seq()
    entries = ctx.batches.files_in_batch(ctx.batch_id)
    grouped = landing_files(entries, ctx.batch_id)

    def load(name: str) -> None:
        load_entity(ctx.in_new_session(), CONTRACTS[name], grouped[name], seq)
        crash_point(f"after_bronze_commit:{name}")

    parallel.run_after_dependencies({name: () for name in CONTRACTS if name in grouped}, load)
    crash_point("before_ledger_update")
    ctx.batches.mark_loaded(ctx.batch_id)
