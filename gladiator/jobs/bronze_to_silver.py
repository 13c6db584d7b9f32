"""bronze_to_silver: the bronze rows of one batch -> quarantine + silver, all entities in one job.

An entity starts once the entities it references are merged, so a child's references are checked
against its parents' silver tables *after* this batch's parents were merged (= silver +
incoming); entities that do not depend on each other run side by side (``gladiator.jobs.parallel``).

Per entity: classify the batch's bronze rows (gladiator.transforms.silver), store the counts
(before any commit, so a re-run after a crash reports the first computation), append the rejected
rows to quarantine (``lake.idempotent_append``), MERGE the accepted rows into silver with the
ordering guard (``lake.guarded_merge``). Both commits are idempotent on ``(app_id, batch_seq)``: a
re-run of a finished batch commits nothing.

Layout: silver is partitioned by ``contract.partition_by`` (orders by order month, lineitem by ship
month: no join needed, see bench/bench_batch.py). Clustering is not done after each MERGE: the
scheduled maintenance job OPTIMIZEs silver with ``ZORDER BY contract.cluster_by``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gladiator import lake, quality
from gladiator.contracts import CONTRACTS, Contract
from gladiator.jobs import parallel
from gladiator.jobs.context import BatchJobContext, crash_point
from gladiator.quality import EntitySummary, RuleResult
from gladiator.transforms import bronze, silver

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

APP_ID = "bronze_to_silver"
STAGE = "silver"


def table_or_none(ctx: BatchJobContext, layer: str, entity: str) -> DataFrame | None:
    """The Delta table ``<layer>/<entity>`` of the job's lake, or None if it does not exist yet."""
    path = ctx.uri(layer, entity)
    return ctx.spark.read.format("delta").load(path) if lake.table_exists(ctx.spark, path) else None


def silver_inputs(ctx: BatchJobContext, contract: Contract) -> tuple[dict[str, Any], Any]:
    """(parents, current) for ``silver.classify``: the silver tables of the entities ``contract``
    references and of the entity itself (None where absent). Replay reads them the same way."""
    parents = {fk.references: table_or_none(ctx, "silver", fk.references) for fk in contract.foreign_keys}
    parents |= {rule.other: table_or_none(ctx, "silver", rule.other) for rule in contract.cross_rules}
    return parents, table_or_none(ctx, "silver", contract.name)


def clean_entity(ctx: BatchJobContext, contract: Contract, seq: int) -> dict[str, int] | None:
    """Process one entity; returns its counts (None if the batch has no bronze rows for it)."""
    from pyspark.sql import functions as F

    from gladiator.spark import batch_cache_level

    bronze_path = ctx.uri("bronze", contract.name)
    silver_path = ctx.uri("silver", contract.name)
    quarantine_path = ctx.uri("quarantine", contract.name)
    if not lake.table_exists(ctx.spark, bronze_path):
        return None
    if lake.already_committed(ctx.spark, silver_path, APP_ID, seq):
        log.info("%s: batch %s already merged into silver; skipped", contract.name, ctx.batch_id)
        return ctx.runs.get_counts(ctx.batch_id, STAGE, contract.name)
    rows = ctx.spark.read.format("delta").load(bronze_path).where(F.col(bronze.BATCH_ID) == ctx.batch_id)
    parents, current = silver_inputs(ctx, contract)
    classified = silver.classify(rows, contract, parents=parents, current=current).persist(
        batch_cache_level()
    )
    try:
        tally = tally_fates(classified, contract)
        counts = tally.counts
        if counts["rows_in"] == 0:
            return None
        ctx.runs.put_counts(ctx.batch_id, STAGE, contract.name, counts)
        record_quality(ctx, contract, tally)
        meta = {"batch_id": ctx.batch_id, "job": APP_ID}
        if counts["quarantined"]:
            rejected = silver.quarantined_rows(classified, contract)
            lake.idempotent_append(rejected, quarantine_path, app_id=APP_ID, version=seq, user_metadata=meta)
            ctx.register("quarantine", contract.name, rejected.schema)
        crash_point(f"before_silver_merge:{contract.name}")
        merge_into_silver(
            ctx, contract, silver.accepted_rows(classified, contract), app_id=APP_ID, seq=seq, meta=meta
        )
        log.info("%s: %s", contract.name, counts)
        return counts
    finally:
        classified.unpersist()


def merge_into_silver(
    ctx: BatchJobContext,
    contract: Contract,
    accepted: DataFrame,
    *,
    app_id: str,
    seq: int,
    meta: dict[str, Any],
) -> None:
    """MERGE accepted rows into the entity's silver table with the ordering guard (newer
    ``updated_at`` wins), idempotent on ``(app_id, seq)``, and register the table. Batches and
    replays load silver through here."""
    lake.guarded_merge(
        accepted,
        ctx.uri("silver", contract.name),
        keys=contract.primary_key,
        version_column=contract.version_column,
        app_id=app_id,
        version=seq,
        partition_by=silver.partition_columns(contract),
        create_options=silver.TABLE_PROPERTIES,
        user_metadata=meta,
    )
    ctx.register("silver", contract.name, accepted.schema, silver.partition_columns(contract))


@dataclass(frozen=True)
class FateTally:
    """One aggregation over a classified batch: rows per fate, failed rows per rule, and the
    newest accepted ``version_column`` value."""

    by_fate: dict[str, int]
    failed_by_rule: dict[str, int]
    newest_accepted: datetime | None

    @property
    def counts(self) -> dict[str, int]:
        by_fate = {fate: self.by_fate.get(fate, 0) for fate in silver.FATES}
        return {
            "rows_in": sum(by_fate.values()),
            "accepted": by_fate[silver.ACCEPTED],
            "quarantined": by_fate[silver.QUARANTINED],
            "duplicates": by_fate[silver.DUPLICATE],
            "stale": by_fate[silver.STALE],
        }


def tally_fates(classified: DataFrame, contract: Contract) -> FateTally:
    from pyspark.sql import functions as F

    rows = (
        classified.groupBy(silver.FATE, silver.RULE)
        .agg(F.count(F.lit(1)).alias("n"), F.max(contract.version_column).alias("newest"))
        .collect()
    )
    by_fate: dict[str, int] = {}
    failed: dict[str, int] = {}
    newest = None
    for r in rows:
        by_fate[r[silver.FATE]] = by_fate.get(r[silver.FATE], 0) + int(r["n"])
        if r[silver.FATE] == silver.QUARANTINED:
            failed[r[silver.RULE]] = failed.get(r[silver.RULE], 0) + int(r["n"])
        if r[silver.FATE] == silver.ACCEPTED and r["newest"] is not None:
            newest = r["newest"] if newest is None else max(newest, r["newest"])
    return FateTally(by_fate, failed, newest)


def record_quality(ctx: BatchJobContext, contract: Contract, tally: FateTally) -> None:
    """Every rule's checked/failed rows for this batch, the entity's summary, and EMF metrics."""
    checked = tally.counts["rows_in"]
    results = [
        RuleResult(
            run_id=ctx.batch_id,
            entity=contract.name,
            rule=rule,
            checked=checked,
            failed=tally.failed_by_rule.get(rule, 0),
            text=text,
        )
        for rule, text in silver.rule_texts(contract).items()
    ]
    newest = tally.newest_accepted.isoformat() + "Z" if tally.newest_accepted else None
    summary = EntitySummary(
        run_id=ctx.batch_id, entity=contract.name, accepted=tally.counts["accepted"], newest=newest
    )
    ctx.quality.put(results, summary)
    for line in quality.emf_lines(results, stage=STAGE):
        print(line)


def entities_with_input(ctx: BatchJobContext) -> list[str]:
    """The entities the batch put bronze rows in (``RunStore.inputs``), in contract order; every
    entity if no bronze job recorded its input (bronze written by another tool)."""
    inputs = ctx.runs.inputs(ctx.batch_id)
    if inputs is None:
        return list(CONTRACTS)
    skipped = [name for name in CONTRACTS if not inputs.get(name)]
    if skipped:
        log.info("no bronze rows in batch %s for %s: skipped", ctx.batch_id, ", ".join(skipped))
    return [name for name in CONTRACTS if inputs.get(name)]


def run(ctx: BatchJobContext) -> dict[str, dict[str, int]]:
    """Clean every entity the batch has bronze rows for; store the batch total on the batch item.
    An entity without input costs nothing (no Spark work; none at all if no entity has input)."""
    seq = ctx.batch_seq()

    def clean(name: str) -> dict[str, int] | None:
        counts = clean_entity(ctx.in_new_session(), CONTRACTS[name], seq)
        crash_point(f"after_silver_merge:{name}")
        return counts

    # An entity starts once the entities its checks read are merged (side by side otherwise).
    names = entities_with_input(ctx)
    cleaned = parallel.run_after_dependencies({n: CONTRACTS[n].referenced_entities for n in names}, clean)
    results = {name: counts for name in names if (counts := cleaned[name])}
    if results:  # the checks across runs, as the metrics the CloudWatch alarms watch
        run_ids = [str(r["batch_id"]) for r in ctx.runs.runs()]
        for line in quality.check_emf_lines(ctx.quality, run_ids, ctx.batch_id):
            print(line, flush=True)
    recon = ctx.runs.reconciliation(ctx.batch_id)
    ctx.batches.record_reconciliation(
        ctx.batch_id,
        rows_in=sum(r.rows_in for r in recon),
        accepted=sum(r.accepted for r in recon),
        quarantined=sum(r.quarantined for r in recon),
        duplicates=sum(r.duplicates + r.stale for r in recon),  # "dropped": exact copies + stale versions
    )
    return results
