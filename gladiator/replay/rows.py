"""Replay of quarantined rows: one entity's quarantine re-checked with the current contract.

The rows go through the batch path's own code, nothing re-coded: ``silver.classify`` (the check
chain, the foreign keys against silver, the dedupe and the ordering against silver),
``bronze_to_silver.tally_fates``/``record_quality`` (counts and rule-level quality under the
replay's run id), ``silver.accepted_rows`` + ``lake.guarded_merge`` (newer ``updated_at`` wins, so
replaying an old row never overwrites a newer one) and ``silver.quarantined_rows`` (the stored
shape of a rejected row, with its *current* reason).

Two Delta commits per entity, each idempotent on ``(APP_ID, replay seq)``:
1. MERGE the rows that now pass into silver;
2. rewrite quarantine/<entity> without the rows that left it and with the current reason of the
   rows that still fail (``lake.overwrite``: one atomic commit; only when something changed).

Why a crash between them cannot load a row twice: (1) is skipped when its txn is committed, and
which rows leave quarantine does not depend on (1): a row passes or fails on its own checks and
its parents, so after the MERGE the rows it loaded still leave (re-classified as duplicates of
silver), and the rest still fail. Only the split accepted/duplicate would change, which is why
the counts are stored (``EntityPlan``) before the first commit and reused on resume.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gladiator import lake
from gladiator.contracts import Contract
from gladiator.jobs import bronze_to_silver
from gladiator.jobs.context import BatchJobContext, crash_point
from gladiator.replay.request import ReplayRequest
from gladiator.replay.store import EntityPlan, ReplayStore
from gladiator.transforms import silver
from gladiator.transforms.bronze import BATCH_ID, REASON, REASON_DETAIL, SOURCE_FILE

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

APP_ID = "replay_quarantined"
WAS_REASON = "__was_reason"
WAS_DETAIL = "__was_detail"


def _plan(classified: DataFrame, tally: bronze_to_silver.FateTally) -> EntityPlan:
    """The counts, and where the rows leaving quarantine came from (one aggregation)."""
    from pyspark.sql import functions as F

    fate = F.col(silver.FATE)
    changed = (fate == silver.QUARANTINED) & ~(
        F.col(REASON).eqNullSafe(F.col(WAS_REASON)) & F.col(REASON_DETAIL).eqNullSafe(F.col(WAS_DETAIL))
    )
    rows = (
        classified.groupBy(BATCH_ID, SOURCE_FILE, silver.FATE)
        .agg(F.count(F.lit(1)).alias("n"), F.sum(changed.cast("int")).alias("changed"))
        .collect()
    )
    by_batch: dict[str, list[int]] = {}
    by_file: dict[tuple[str, str], int] = {}
    reasons_changed = 0
    slot = {silver.ACCEPTED: 0, silver.DUPLICATE: 1, silver.STALE: 2}
    for r in rows:
        reasons_changed += int(r["changed"] or 0)
        if r[silver.FATE] not in slot:
            continue
        moved = by_batch.setdefault(str(r[BATCH_ID]), [0, 0, 0])
        moved[slot[r[silver.FATE]]] += int(r["n"])
        key = (str(r[BATCH_ID]), str(r[SOURCE_FILE]))
        by_file[key] = by_file.get(key, 0) + int(r["n"])
    files = [[batch, source, n] for (batch, source), n in sorted(by_file.items())]
    return EntityPlan(counts=tally.counts, reasons_changed=reasons_changed, by_batch=by_batch, by_file=files)


def _new_quarantine(table: DataFrame, kept: DataFrame, still: DataFrame) -> DataFrame:
    """The rows not re-checked plus the still-failing ones, in the table's column order (a column
    the rejected-row layout lacks is NULL for the re-checked rows)."""
    return kept.unionByName(still, allowMissingColumns=True).select(*table.columns)


def replay_entity(
    ctx: BatchJobContext, contract: Contract, request: ReplayRequest, seq: int, store: ReplayStore
) -> EntityPlan | None:
    """Re-check ``contract``'s quarantined rows selected by ``request``; None if there were none.

    Idempotent on ``seq`` (the replay run): a resumed run skips what it committed and returns the
    plan of its first computation."""
    from pyspark.sql import functions as F

    from gladiator.spark import batch_cache_level

    quarantine_path = ctx.uri("quarantine", contract.name)
    silver_path = ctx.uri("silver", contract.name)
    table = bronze_to_silver.table_or_none(ctx, "quarantine", contract.name)
    if table is None:
        return None
    stored = store.get_plan(ctx.batch_id, contract.name)
    if lake.already_committed(ctx.spark, quarantine_path, APP_ID, seq):
        return stored  # this run finished the entity before it died
    selected = request.row_selection()
    reason_columns = [c for c in table.columns if c.startswith(REASON)]
    rows = (
        table.where(selected)
        .withColumn(WAS_REASON, F.col(REASON))
        .withColumn(WAS_DETAIL, F.col(REASON_DETAIL))
        .drop(*reason_columns)
    )
    parents, current = bronze_to_silver.silver_inputs(ctx, contract)
    classified = silver.classify(rows, contract, parents=parents, current=current).persist(
        batch_cache_level()
    )
    try:
        tally = bronze_to_silver.tally_fates(classified, contract)
        if tally.counts["rows_in"] == 0:
            return None
        silver_done = lake.already_committed(ctx.spark, silver_path, APP_ID, seq)
        if stored is not None and silver_done:
            plan = stored  # resumed after the MERGE: keep the first computation's split
        else:
            plan = _plan(classified, tally)
            store.put_plan(ctx.batch_id, contract.name, plan)
            ctx.runs.put_counts(ctx.batch_id, bronze_to_silver.STAGE, contract.name, plan.counts)
            bronze_to_silver.record_quality(ctx, contract, tally)
        meta = {"batch_id": ctx.batch_id, "job": APP_ID}
        if plan.counts["accepted"]:
            accepted = silver.accepted_rows(classified, contract)
            bronze_to_silver.merge_into_silver(ctx, contract, accepted, app_id=APP_ID, seq=seq, meta=meta)
        crash_point(f"before_quarantine_rewrite:{contract.name}")
        if plan.leaving or plan.reasons_changed:
            still = silver.quarantined_rows(classified, contract)
            rewritten = _new_quarantine(table, table.where(~selected), still)
            lake.overwrite(rewritten, quarantine_path, app_id=APP_ID, version=seq, user_metadata=meta)
        log.info("%s: replayed %s", contract.name, plan.counts)
        return plan
    finally:
        classified.unpersist()
