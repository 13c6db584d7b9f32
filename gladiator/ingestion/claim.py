"""The state machine's batch steps: claim (first state), finish (last), release (on failure).

One function, ``run_batch_step``, serves the batch Lambda (lambdas/batch_claim) and the local
runner, so both execute the same steps:

- ``claim``: take the pipeline lock for this execution, then claim the VALIDATED files into the
  batch the execution input names (``{"batch_id": ...}``; a StartExecution with no input names
  the batch after the execution). Idempotent on that name: a retried claim returns the stored
  batch. An empty batch is recorded EMPTY, frees the lock and answers ``empty: true``, so the
  Choice after it ends the execution with no Glue run. A pipeline locked by another live
  execution answers ``empty: true, busy: true`` (nothing is claimed; the trigger tries again).
- ``finish``: free the lock, then evaluate the batch trigger (files that arrived during the run).
- ``release``: a failed run gives its files back (CLAIMED -> VALIDATED, batch FAILED), frees the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.model import BatchState
from gladiator.ingestion.trigger import BatchTrigger, PipelineStarter, maybe_start

log = logging.getLogger(__name__)

LOCK_LEASE_S = 7 * 3600  # longer than the state machine timeout (6 h): a dead holder frees it


NON_EXECUTION_HOLDER_PREFIXES = ("replay-",)


@dataclass(frozen=True, kw_only=True)
class BatchStepDeps:
    """What the batch steps need: the batches, and optionally how to start the next run and
    how to tell whether a lock holder still runs (``is_running(execution name)``)."""

    batches: BatchStore
    trigger: BatchTrigger = field(default_factory=BatchTrigger)
    starter: PipelineStarter | None = None
    is_running: Callable[[str], bool] | None = None


def _lock(deps: BatchStepDeps, execution: str) -> bool:
    if deps.batches.acquire_lock(execution, lease_s=LOCK_LEASE_S):
        return True
    holder = deps.batches.lock_holder()
    # Only a state-machine execution can be asked whether it still runs; another holder (a replay
    # run, "replay-<utc>-<seq>", which is a Glue job) keeps the lock until it frees it or its lease
    # expires (acquire_lock then succeeds).
    is_execution = not holder or not holder.startswith(NON_EXECUTION_HOLDER_PREFIXES)
    if holder and is_execution and deps.is_running is not None and not deps.is_running(holder):
        log.warning("pipeline lock of %s, which no longer runs, taken over by %s", holder, execution)
        deps.batches.release_lock(holder)
        return deps.batches.acquire_lock(execution, lease_s=LOCK_LEASE_S)
    return False


def claim(
    deps: BatchStepDeps, *, execution: str, batch_id: str | None, run_when_empty: bool = False
) -> dict[str, Any]:
    """The claim step; its answer is the execution's state for the stages (``$.batch_id``)."""
    batch_id = batch_id or execution
    if not _lock(deps, execution):
        log.info("pipeline busy (lock held by %s): %s claims nothing", deps.batches.lock_holder(), batch_id)
        return {"batch_id": batch_id, "batch_seq": 0, "file_count": 0, "empty": True, "busy": True}
    batch = deps.batches.claim(deps.trigger.claim_max_files, batch_id=batch_id, allow_empty=run_when_empty)
    assert batch is not None  # a named claim always records its batch
    # EMPTY: nothing claimed. CLAIMED with no file: opened on purpose (an OLTP-only run).
    runnable = batch.state in (BatchState.CLAIMED, BatchState.STARTED)
    if runnable:
        deps.batches.mark_started(batch.batch_id, execution)
    else:
        deps.batches.release_lock(execution)
    return {
        "batch_id": batch.batch_id,
        "batch_seq": batch.batch_seq,
        "file_count": batch.file_count,
        "empty": not runnable,
        "busy": False,
    }


def finish(deps: BatchStepDeps, *, execution: str) -> dict[str, Any]:
    """Free the lock; start the next run if files waiting make one due."""
    deps.batches.release_lock(execution)
    started = maybe_start(deps.batches, deps.trigger, deps.starter) if deps.starter else None
    return {"next_batch": started}


def release(deps: BatchStepDeps, *, execution: str, batch_id: str) -> dict[str, Any]:
    """Give a failed batch's files back and free the lock."""
    released = deps.batches.release(batch_id) if deps.batches.get(batch_id) else 0
    deps.batches.release_lock(execution)
    return {"released": released}


def run_batch_step(event: dict[str, Any], deps: BatchStepDeps) -> dict[str, Any]:
    """Dispatch ``{"action": claim|finish|release, "execution": name, "input": state}``."""
    action = event.get("action", "claim")
    execution = str(event["execution"])
    state = event.get("input") or {}
    if action == "claim":
        return claim(
            deps,
            execution=execution,
            batch_id=state.get("batch_id"),
            run_when_empty=bool(state.get("run_when_empty", False)),
        )
    if action == "finish":
        return finish(deps, execution=execution)
    if action == "release":
        return release(deps, execution=execution, batch_id=str(state.get("batch_id") or execution))
    raise ValueError(f"unknown batch step {action!r}: use claim, finish or release")
