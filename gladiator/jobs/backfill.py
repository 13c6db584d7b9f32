"""backfill: rebuild one entity's silver months from bronze, then the gold tables it feeds.

Why: silver is built incrementally (one MERGE per batch); a bug fix in a rule, a hand edit or a
lost write leaves a month wrong, and bronze still holds every version ever received. A backfill
recomputes the month from bronze with the batch job's own functions and replaces it in place.

Steps, all under the pipeline lock (``BatchStore.acquire_lock``, holder = the run id, i.e. the
state machine execution name), so no batch writes silver or gold meanwhile:

1. take a sequence number from the batch counter (after the lock: it is newer than every batch
   that finished before; gold's ``txnVersion`` and this run's silver commit use it);
2. silver: every bronze row of the entity through ``silver.classify`` (the batch's check chain,
   dedupe and ordering rules; no current silver: the rebuild starts from bronze alone, parents
   are today's silver), the accepted rows whose partition is in range written with Delta
   ``replaceWhere`` on the same partition predicate. Rejected rows are counted, not appended:
   quarantine already holds them from their batch;
3. data-quality results of the re-check (``bronze_to_silver.record_quality``, run id = this run);
4. gold: the tables the entity feeds, rebuilt whole with the gold job's writer
   (``silver_to_gold.write_gold_table``); gold tables they read but the entity does not feed
   are read as stored.

Idempotent: the result is a function of bronze and the parents' silver, so a second backfill of
the same range writes the same rows (a new Delta version with the same content). Cost: the whole
entity's bronze is classified (the newest version of a key may sit in any batch).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gladiator import lake
from gladiator.contracts import Contract
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.claim import LOCK_LEASE_S
from gladiator.jobs import bronze_to_silver
from gladiator.jobs.context import BatchJobContext
from gladiator.jobs.silver_to_gold import catalog_register, run_silver_to_gold
from gladiator.transforms import gold_registry, silver
from gladiator.transforms.backfill import (
    BackfillError,
    MonthRange,
    PipelineBusy,
    affected_gold_tables,
    get_entity,
    scope_predicate,
)
from gladiator.transforms.silver import partition_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

APP_ID = "backfill"
LOCK_POLL_S = 5.0


@dataclass
class BackfillReport:
    """What one backfill did: silver counts of the re-check and the gold tables written."""

    run_id: str
    entity: str
    months: str
    batch_seq: int
    silver: dict[str, int] = field(default_factory=dict)
    gold: dict[str, dict[str, Any]] = field(default_factory=dict)


@contextmanager
def pipeline_lock(
    batches: BatchStore,
    holder: str,
    *,
    wait_s: float = 0.0,
    poll_s: float = LOCK_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the pipeline lock as ``holder`` for the block; wait up to ``wait_s`` seconds for a
    running batch to free it, else raise ``PipelineBusy`` naming the holder."""
    started = time.monotonic()
    while not batches.acquire_lock(holder, lease_s=LOCK_LEASE_S):
        waited = time.monotonic() - started
        owner = batches.lock_holder() or "a run that has just finished"
        if waited >= wait_s:
            raise PipelineBusy(owner, waited)
        log.info("pipeline lock held by %s: waiting (%.0f of %.0f s)", owner, waited, wait_s)
        sleep(min(poll_s, max(wait_s - waited, 0.1)))
    try:
        yield
    finally:
        batches.release_lock(holder)


def replace_partitions(
    rows: DataFrame,
    path: str,
    predicate: str | None,
    *,
    version: int,
    partition_by: list[str],
    user_metadata: dict[str, Any],
) -> None:
    """Overwrite the rows of ``path`` matching ``predicate`` (all of them if None) with ``rows``,
    in one Delta commit carrying ``(APP_ID, version)``. Delta checks that every written row
    matches the predicate (``replaceWhere``), so nothing outside the range can change. A whole-table
    rebuild (``predicate`` None) also replaces the table's schema and partitioning with the
    contract's: how a table written under an older contract (silver orders and lineitem by month)
    moves to the current one."""
    writer = (
        rows.write.format("delta")
        .mode("overwrite")
        .option("txnAppId", APP_ID)
        .option("txnVersion", str(version))
        .option("userMetadata", lake.commit_metadata(user_metadata))
    )
    if predicate is not None:
        writer = writer.option("replaceWhere", predicate)
    else:
        writer = writer.option("overwriteSchema", "true")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)


def rebuild_silver(
    ctx: BatchJobContext, contract: Contract, months: MonthRange | None, seq: int
) -> dict[str, int]:
    """Classify every bronze row of the entity and replace the range's silver rows with the
    accepted ones; records the re-check's quality results. Returns the counts."""
    from pyspark.sql import functions as F

    from gladiator.spark import batch_cache_level

    bronze_rows = bronze_to_silver.table_or_none(ctx, "bronze", contract.name)
    if bronze_rows is None:
        raise BackfillError(
            f"no bronze table for {contract.name} at {ctx.uri('bronze', contract.name)}: "
            "nothing to rebuild from (run a batch first)"
        )
    parents, _ = bronze_to_silver.silver_inputs(ctx, contract)  # not the current silver: rebuilt from bronze
    classified = silver.classify(bronze_rows, contract, parents=parents, current=None)
    classified = classified.persist(batch_cache_level())
    try:
        tally = bronze_to_silver.tally_fates(classified, contract)
        bronze_to_silver.record_quality(ctx, contract, tally)
        predicate = scope_predicate(contract, months)
        accepted = silver.accepted_rows(classified, contract)
        if predicate is not None:
            accepted = accepted.where(F.expr(predicate))
        accepted = accepted.persist(batch_cache_level())
        written = accepted.count()
        meta = {"job": APP_ID, "batch_id": ctx.batch_id, "months": months.label if months else "all"}
        replace_partitions(
            accepted,
            ctx.uri("silver", contract.name),
            predicate,
            version=seq,
            partition_by=partition_columns(contract),
            user_metadata=meta,
        )
        accepted.unpersist()
        ctx.register("silver", contract.name, accepted.schema, partition_columns(contract))
        return {**tally.counts, "written": written}
    finally:
        classified.unpersist()


def rebuild_gold(ctx: BatchJobContext, entity: str, seq: int) -> dict[str, dict[str, Any]]:
    """Rebuild every gold table ``entity`` feeds (and any gold table they read that does not exist
    yet) from silver as it is now, as silver_to_gold does; returns per table
    ``{"written", "seconds"}``."""
    affected = set(affected_gold_tables(entity))
    read = {build.table for build in gold_registry.builds_for(affected)} - affected
    missing = {name for name in read if not lake.table_exists(ctx.spark, ctx.uri("gold", name))}
    return run_silver_to_gold(
        ctx.spark,
        silver_root=ctx.uri("silver", "").rstrip("/"),
        gold_root=ctx.uri("gold", "").rstrip("/"),
        batch_id=ctx.batch_id,
        batch_seq=seq,
        register=catalog_register(ctx),
        rebuild=affected | missing,
    )


def run(ctx: BatchJobContext, entity: str, first: str, last: str, *, wait_s: float = 0.0) -> BackfillReport:
    """The backfill of ``entity`` over ``first``..``last`` (``YYYY-MM``, or both ``all``), run id
    ``ctx.batch_id``. Validates the request before taking the lock; see the module docstring."""
    contract = get_entity(entity)
    months = MonthRange.parse(first, last)
    scope_predicate(contract, months)  # refuses a month range on an unpartitioned entity, early
    with pipeline_lock(ctx.batches, ctx.batch_id, wait_s=wait_s):
        seq = ctx.batches.next_seq()
        report = BackfillReport(ctx.batch_id, entity, months.label if months else "all", seq)
        log.info("backfill %s %s: seq %d", entity, report.months, seq)
        report.silver = rebuild_silver(ctx, contract, months, seq)
        log.info("silver %s: %s", entity, report.silver)
        report.gold = rebuild_gold(ctx, entity, seq)
    return report
