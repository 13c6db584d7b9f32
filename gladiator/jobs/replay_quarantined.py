"""replay_quarantined: run the current contract again over what was quarantined before.

One run (``gladiator replay --quarantined``, or the Glue job of the same name):

1. **open** a replay run: resume the one left open by a run that died (same id, same Delta
   ``txnVersion``, same request: see gladiator.replay.store), or take a new id
   ``replay-<utc>-<seq>`` with the next batch sequence number. The run holds the pipeline lock
   (``BatchStore.acquire_lock``) for its duration: a batch writing silver and quarantine at the
   same time is refused with the holder's name, never interleaved;
2. **files** (gladiator.replay.files): QUARANTINED files valid now become VALIDATED for the next
   batch; the others keep (or get) their current reason;
3. **rows** (gladiator.replay.rows), entity by entity in contract (foreign-key) order, so a
   child's references see its parents' replayed rows: what passes is MERGEd into silver, what
   fails stays quarantined with its current reason;
4. **moves**: the original batches' reconciliation counts the rows that left quarantine as
   accepted (or duplicates/stale), once per replay (``BatchStore.record_replay``; per entity
   ``recon#replay#<replay id>#<entity>``); the ledger notes on each landing file how many of its
   rows were replayed (``Ledger.note_rows_replayed``);
5. **finish**: close the run, free the lock.

The replay's id is this job run's ``batch_id``: its rule-level quality results, per-entity counts
(``RunStore.reconciliation(replay_id)``) and OpenLineage events are kept under it like a batch's.
It writes no entity summary for the cross-run checks (those judge batch sizes and arrival
freshness, which a replay's handful of rows would distort). Every step is idempotent, so a
second replay of the same request changes nothing: the rows still failing are re-checked, fail
the same way, and nothing is committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from gladiator import pipeline
from gladiator.contracts import CONTRACTS
from gladiator.errors import GladiatorError
from gladiator.ingestion.claim import LOCK_LEASE_S
from gladiator.jobs.args import parse_job_args
from gladiator.jobs.context import BatchJobContext, crash_point
from gladiator.lineage.emit import LineageRun
from gladiator.pipeline import COMMON_ARGUMENTS
from gladiator.replay.files import FileReplay, replay_files
from gladiator.replay.request import FILTERS, ReplayRequest
from gladiator.replay.rows import replay_entity
from gladiator.replay.store import REPLAY_STAGE, EntityPlan, ReplayRun, ReplayStore

log = logging.getLogger(__name__)

REPLAY_QUARANTINED = pipeline.REPLAY_QUARANTINED  # deployed with the on-demand jobs
NAME = REPLAY_QUARANTINED.name


class PipelineBusy(GladiatorError):
    """The pipeline lock is held by another run (a batch, a backfill or another replay)."""


@dataclass(frozen=True)
class ReplayReport:
    replay_id: str
    resumed: bool
    request: ReplayRequest
    entities: dict[str, EntityPlan]
    files: FileReplay

    def as_dict(self) -> dict[str, Any]:
        return {
            "replay_id": self.replay_id,
            "resumed": self.resumed,
            "request": self.request.as_record(),
            "entities": {name: plan.counts for name, plan in self.entities.items()},
            "files": self.files.as_dict(),
        }


def context_from_argv(argv: list[str] | None) -> BatchJobContext:
    """The job's context: ``pipeline.COMMON_ARGUMENTS`` + the optional filters (no batch id: the
    run's id is set by :func:`open_run`)."""
    required = [a.removeprefix("--") for a in COMMON_ARGUMENTS]
    optional = {"codec": "zstd", "lineage_url": "", **dict.fromkeys(FILTERS, "")}
    return BatchJobContext(name=NAME, args=parse_job_args(argv, required, optional))


def open_run(ctx: BatchJobContext, request: ReplayRequest) -> ReplayRun:
    """Resume the open replay run or start one, under the pipeline lock; ``ctx.batch_id`` becomes
    the run's id. Raises ``PipelineBusy`` naming the lock holder."""
    store = ReplayStore(ctx.args["job_state_table"], ctx.ledger.client)
    run = store.open_run() or store.new_run(request, ctx.batches)
    if not ctx.batches.acquire_lock(run.replay_id, lease_s=LOCK_LEASE_S):
        raise PipelineBusy(
            f"the pipeline lock is held by {ctx.batches.lock_holder()} (a running batch, backfill or "
            "replay): replay again when `gladiator pipeline status` shows it finished"
        )
    store.mark_open(run)
    if run.resumed:
        log.warning("resuming replay %s (request: %s)", run.replay_id, run.request.describe())
    ctx.args["batch_id"] = run.replay_id
    return run


def apply_moves(ctx: BatchJobContext, run: ReplayRun, plans: dict[str, EntityPlan]) -> None:
    """Count the rows that left quarantine in their original batches and note them in the ledger
    (each write once per replay run)."""
    per_batch: dict[str, list[int]] = {}
    for entity, plan in plans.items():
        for batch_id, (accepted, duplicates, stale) in plan.by_batch.items():
            ctx.runs.put_counts(
                batch_id,
                f"{REPLAY_STAGE}#{run.replay_id}",
                entity,
                {"accepted": accepted, "duplicates": duplicates, "stale": stale},
            )
            totals = per_batch.setdefault(batch_id, [0, 0])
            totals[0] += accepted
            totals[1] += duplicates + stale
    for batch_id, (accepted, dropped) in sorted(per_batch.items()):
        ctx.batches.record_replay(batch_id, replay_id=run.replay_id, accepted=accepted, dropped=dropped)
    rows_by_file: dict[tuple[str, str], int] = {}
    for plan in plans.values():
        for batch_id, source, rows in plan.by_file:
            rows_by_file[(str(batch_id), str(source))] = rows_by_file.get((batch_id, source), 0) + int(rows)
    for batch_id in sorted({b for b, _ in rows_by_file}):
        batch = ctx.batches.get(batch_id)
        if batch is None:
            continue  # rows of another source (a batch not in this table)
        file_ids = {e.s3_uri: e.file_id for e in ctx.ledger.get_many(list(batch.file_ids))}
        for (b, source), rows in rows_by_file.items():
            if b == batch_id and source in file_ids:
                ctx.ledger.note_rows_replayed(file_ids[source], replay_id=run.replay_id, rows=rows)


def run(ctx: BatchJobContext, replay: ReplayRun) -> ReplayReport:
    """Steps 2-5 of the module docstring for the opened ``replay``; frees the lock at the end
    (also on failure: the run stays open and is resumed by the next replay)."""
    from gladiator.ingestion.process import deps_from_settings

    store = ReplayStore(ctx.args["job_state_table"], ctx.ledger.client)
    request = replay.request
    try:
        landing = deps_from_settings(ctx.settings)  # the landing Lambda's S3 client and limits
        earlier = store.get_files(replay.replay_id)  # a resumed run: what its first attempt did
        files = replay_files(
            ctx.ledger, landing.s3, request, replay_id=replay.replay_id, limits=landing.limits
        ).merge(earlier)
        store.put_files(replay.replay_id, files.as_dict())
        crash_point("after_file_replay")
        plans: dict[str, EntityPlan] = {}
        for name, contract in CONTRACTS.items():
            if not request.wants_entity(name):
                continue
            plan = replay_entity(ctx, contract, request, replay.seq, store)
            if plan is not None:
                plans[name] = plan
            crash_point(f"after_row_replay:{name}")
        apply_moves(ctx, replay, plans)
        report = ReplayReport(replay.replay_id, replay.resumed, request, plans, files)
        store.finish(replay, report.as_dict())
        return report
    finally:
        ctx.batches.release_lock(replay.replay_id)


def record_lineage(lineage: LineageRun, ctx: BatchJobContext, report: ReplayReport) -> None:
    """One step per entity: its quarantine (with the rule checks) -> silver and quarantine."""
    for entity, plan in report.entities.items():
        step = lineage.step(entity)
        step.input(ctx.uri("quarantine", entity))
        step.output(ctx.uri("silver", entity), rows=plan.counts["accepted"])
        step.output(ctx.uri("quarantine", entity), rows=plan.counts["quarantined"])
