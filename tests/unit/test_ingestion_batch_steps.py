"""The state machine's batch steps and the batch trigger, run through the local ASL interpreter
on the definition CDK deploys (moto in-process; Glue jobs replaced by a recorder)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gladiator import pipeline
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.claim import BatchStepDeps, run_batch_step
from gladiator.ingestion.model import BatchState, LedgerState, utc_now
from gladiator.ingestion.object_events import ObjectEvent
from gladiator.ingestion.trigger import BatchTrigger, maybe_start
from gladiator.runs import RunStore
from local_emulation.asl import Interpreter, TaskFailed
from local_emulation.runner import LocalBatchFunction

JOB_NAMES = {j.name: f"job-{j.name}" for s in pipeline.PIPELINE for j in s.jobs}


def validated(store: BatchStore, n: int, prefix: str = "orders/f", size: int = 10) -> list[str]:
    ids = []
    for i in range(n):
        e = ObjectEvent(
            bucket="landing", key=f"{prefix}{i}.csv", size=size, etag=f"e{i}", version_id="v1", sequencer=None
        )
        store.ledger.register(e, entity="orders", fmt="csv")
        store.ledger.transition(e.file_id, LedgerState.VALIDATED)
        ids.append(e.file_id)
    return ids


class Pipeline:
    """The deployed definition, interpreted, with a Glue stand-in that records (or fails) jobs."""

    def __init__(self, store: BatchStore, fail: str | None = None) -> None:
        self.deps = BatchStepDeps(batches=store)
        self.runs = RunStore(store.table_name, store.client)
        self.glue_calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail
        self.definition = pipeline.state_machine_definition(job_names=JOB_NAMES, batch_function="fn")

    def glue(self, parameters: dict[str, Any]) -> dict[str, Any]:
        self.glue_calls.append((parameters["JobName"], parameters["Arguments"]))
        if parameters["JobName"] == self.fail:
            raise TaskFailed("States.TaskFailed", "job failed")
        return {"JobRunState": "SUCCEEDED"}

    def execute(self, execution_input: Any, name: str) -> Any:
        function = LocalBatchFunction(self.deps, self.runs, list(JOB_NAMES))
        handlers = {pipeline.LAMBDA_INVOKE: function, pipeline.GLUE_RUN_SYNC: self.glue}
        return Interpreter(handlers).execute(self.definition, execution_input, name=name)


def test_the_claim_runs_first_and_every_stage_gets_the_batch(store: BatchStore) -> None:
    ids = validated(store, 3)
    run = Pipeline(store)
    execution = run.execute({"batch_id": "scheduled-2026-12-02T05:00:00Z"}, name="exec-1")
    assert execution.status == "SUCCEEDED", execution
    assert execution.path[:2] == [pipeline.CLAIM_STATE, pipeline.EMPTY_CHOICE]
    assert [job for job, _ in run.glue_calls] == [
        JOB_NAMES[j.name] for s in pipeline.PIPELINE for j in s.jobs
    ]
    assert {args["--batch_id"] for _, args in run.glue_calls} == {"scheduled-2026-12-02T05:00:00Z"}
    batch = store.get("scheduled-2026-12-02T05:00:00Z")
    assert batch is not None and sorted(batch.file_ids) == sorted(ids) and batch.state == BatchState.STARTED
    assert store.lock_holder() is None  # finish freed the lock


def test_an_empty_batch_ends_at_once_recorded_empty(store: BatchStore) -> None:
    run = Pipeline(store)
    execution = run.execute({}, name="manual-no-input")  # a StartExecution with no input
    assert execution.status == "SUCCEEDED"
    assert execution.path[-1] == "nothing to run" and run.glue_calls == []
    batch = store.get("manual-no-input")  # named after the execution
    assert batch is not None and batch.state == BatchState.EMPTY
    assert store.lock_holder() is None


def test_a_retried_claim_claims_nothing_twice(store: BatchStore) -> None:
    validated(store, 2)
    deps = BatchStepDeps(batches=store)
    event = {"action": "claim", "execution": "exec-1", "input": {"batch_id": "b1"}}
    first = run_batch_step(event, deps)
    validated(store, 3, prefix="orders/late")
    again = run_batch_step(event, deps)  # Lambda retried by Step Functions
    assert first == again and first["file_count"] == 2
    assert len(store.waiting(10)) == 3  # the late files wait for the next batch


def test_a_second_execution_while_one_runs_claims_nothing(store: BatchStore) -> None:
    validated(store, 2)
    deps = BatchStepDeps(batches=store)
    first = run_batch_step({"action": "claim", "execution": "e1", "input": {}}, deps)
    validated(store, 2, prefix="orders/more")
    second = run_batch_step({"action": "claim", "execution": "e2", "input": {}}, deps)
    assert first["file_count"] == 2 and not first["empty"]
    assert second["empty"] and second["busy"] and store.get("e2") is None
    run_batch_step({"action": "finish", "execution": "e1", "input": first}, deps)
    third = run_batch_step({"action": "claim", "execution": "e3", "input": {}}, deps)
    assert third["file_count"] == 2


def test_a_dead_lock_holder_is_taken_over(store: BatchStore) -> None:
    validated(store, 1)
    store.acquire_lock("crashed-exec", lease_s=3600)
    deps = BatchStepDeps(batches=store, is_running=lambda name: False)
    assert run_batch_step({"action": "claim", "execution": "e2", "input": {}}, deps)["file_count"] == 1


def test_a_replay_holding_the_lock_is_not_taken_over(store: BatchStore) -> None:
    """A replay is a Glue job, not an execution: Step Functions cannot vouch for it, so its lock
    holds until it frees it or the lease runs out."""
    validated(store, 1)
    store.acquire_lock("replay-20261202T120000-7", lease_s=3600)
    deps = BatchStepDeps(batches=store, is_running=lambda name: False)
    assert run_batch_step({"action": "claim", "execution": "e2", "input": {}}, deps)["empty"]
    assert store.lock_holder() == "replay-20261202T120000-7"


def test_a_failed_stage_releases_the_files_and_fails(store: BatchStore) -> None:
    ids = validated(store, 2)
    run = Pipeline(store, fail=JOB_NAMES["bronze_to_silver"])
    execution = run.execute({"batch_id": "b-fail"}, name="exec-f")
    assert execution.status == "FAILED" and execution.error == "PipelineFailed"
    assert execution.path[-2:] == [pipeline.RELEASE_STATE, "pipeline failed"]
    assert store.get("b-fail").state == BatchState.FAILED  # type: ignore[union-attr]
    assert sorted(e.file_id for e in store.waiting(10)) == sorted(ids)  # back to VALIDATED
    assert store.lock_holder() is None


def test_trigger_thresholds_count_size_and_age() -> None:
    from gladiator.ingestion.model import LedgerEntry, iso

    now = utc_now()

    def entry(i: int, size: int = 10, age_s: float = 0) -> LedgerEntry:
        changed = iso(now - timedelta(seconds=age_s))
        return LedgerEntry(file_id=f"f{i}", bucket="b", key="k", version_id=None, etag=None, size=size,
                           entity="orders", format="csv", state=LedgerState.VALIDATED, state_changed_at=changed)  # fmt: skip

    trigger = BatchTrigger(max_files=3, max_bytes=100, max_wait_s=60)
    assert trigger.reason([], now) is None
    assert trigger.reason([entry(0), entry(1)], now) is None
    assert trigger.reason([entry(i) for i in range(3)], now) is not None
    assert trigger.reason([entry(0, size=100)], now) is not None
    assert trigger.reason([entry(0, age_s=61)], now) is not None
    assert BatchTrigger.from_env({"GLADIATOR_BATCH_MAX_FILES": "7"}).max_files == 7
    assert BatchTrigger().max_files == 50 and BatchTrigger().max_bytes == 1024**3


def test_concurrent_triggers_start_one_execution_and_none_while_locked(store: BatchStore) -> None:
    validated(store, 3)
    started: dict[str, dict[str, Any]] = {}

    def starter(name: str, payload: dict[str, Any]) -> str:
        started.setdefault(name, payload)  # Step Functions: one execution per name
        return name

    trigger = BatchTrigger(max_files=3)
    now = utc_now()
    first = maybe_start(store, trigger, starter, now=now)
    second = maybe_start(store, trigger, starter, now=now)
    assert first is not None and first == second and len(started) == 1
    assert started[first] == {"batch_id": first}
    store.acquire_lock("running", lease_s=60)
    assert maybe_start(store, trigger, starter, now=now + timedelta(minutes=2)) is None
    assert maybe_start(store, BatchTrigger(max_files=4), starter) is None or store.lock_holder()


def test_a_claim_that_fails_frees_the_lock(store: BatchStore, monkeypatch: pytest.MonkeyPatch) -> None:
    validated(store, 1)

    def throttled(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(store, "claim", throttled)  # after the lock was taken
    execution = Pipeline(store).execute({"batch_id": "b"}, name="exec-x")
    assert execution.status == "FAILED"
    assert execution.path == [pipeline.CLAIM_STATE, pipeline.RELEASE_STATE, "pipeline failed"]
    assert store.lock_holder() is None  # the next execution is not blocked for the lease
