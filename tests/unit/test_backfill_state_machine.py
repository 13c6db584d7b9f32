"""The state machine's backfill branch, run through the local ASL interpreter on the definition
CDK deploys (moto in-process; the Glue job replaced by a stand-in that takes the pipeline lock
under its --batch_id, as the real job does)."""

from __future__ import annotations

from typing import Any

from gladiator import pipeline
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.claim import BatchStepDeps
from gladiator.ingestion.model import LedgerState
from gladiator.ingestion.object_events import ObjectEvent
from gladiator.runs import RunStore
from local_emulation.asl import Interpreter, TaskFailed
from local_emulation.runner import LocalBatchFunction

JOBS = (*(j for s in pipeline.PIPELINE for j in s.jobs), pipeline.BACKFILL)
JOB_NAMES = {j.name: f"job-{j.name}" for j in JOBS}
BACKFILL_INPUT = pipeline.backfill_input("orders", "1995-01", "1995-03")


class Machine:
    """The definition with the backfill branch; Glue and Lambda calls are recorded."""

    def __init__(self, store: BatchStore, *, fail: bool = False) -> None:
        self.store, self.fail = store, fail
        self.glue_calls: list[tuple[str, dict[str, Any]]] = []
        self.lambda_actions: list[str] = []
        self.definition = pipeline.state_machine_definition(
            job_names=JOB_NAMES, batch_function="fn", backfill=pipeline.BACKFILL
        )

    def glue(self, parameters: dict[str, Any]) -> dict[str, Any]:
        arguments = parameters["Arguments"]
        self.glue_calls.append((parameters["JobName"], arguments))
        if parameters["JobName"] == JOB_NAMES["backfill"]:
            assert self.store.acquire_lock(arguments["--batch_id"], lease_s=600)  # what the job does
            if self.fail:
                raise TaskFailed("States.TaskFailed", "backfill job failed")
        return {"JobRunState": "SUCCEEDED"}

    def execute(self, execution_input: Any, name: str) -> Any:
        function = LocalBatchFunction(
            BatchStepDeps(batches=self.store), RunStore(self.store.table_name, self.store.client), []
        )

        def invoke(parameters: dict[str, Any]) -> Any:
            self.lambda_actions.append(parameters["Payload"]["action"])
            return function(parameters)

        handlers = {pipeline.LAMBDA_INVOKE: invoke, pipeline.GLUE_RUN_SYNC: self.glue}
        return Interpreter(handlers).execute(self.definition, execution_input, name=name)


def test_a_backfill_input_skips_the_claim_runs_the_job_with_its_range_then_frees_the_lock(
    store: BatchStore,
) -> None:
    waiting = ObjectEvent(bucket="l", key="orders/f.csv", size=1, etag="e", version_id="v", sequencer=None)
    store.ledger.register(waiting, entity="orders", fmt="csv")
    store.ledger.transition(waiting.file_id, LedgerState.VALIDATED)
    machine = Machine(store)
    execution = machine.execute(BACKFILL_INPUT, name="backfill-orders-1")
    assert execution.status == "SUCCEEDED", execution
    assert execution.path == [
        pipeline.BACKFILL_CHOICE,
        pipeline.BACKFILL_STATE,
        pipeline.FINISH_STATE,
        "pipeline done",
    ]
    assert machine.glue_calls == [
        (
            JOB_NAMES["backfill"],
            {"--batch_id": "backfill-orders-1", "--entity": "orders", "--from": "1995-01", "--to": "1995-03"},
        )
    ]
    assert machine.lambda_actions == ["finish"]  # no claim: the waiting file stays for the next batch
    assert store.ledger.get(waiting.file_id).state == LedgerState.VALIDATED
    assert store.lock_holder() is None


def test_a_failed_backfill_releases_the_lock_and_fails_the_execution(store: BatchStore) -> None:
    machine = Machine(store, fail=True)
    execution = machine.execute(BACKFILL_INPUT, name="backfill-orders-2")
    assert execution.status == "FAILED" and execution.error == "PipelineFailed"
    assert execution.path[-2:] == [pipeline.RELEASE_STATE, "pipeline failed"]
    assert machine.lambda_actions == ["release"]
    assert store.lock_holder() is None


def test_an_input_without_backfill_runs_the_batch_pipeline(store: BatchStore) -> None:
    machine = Machine(store)
    execution = machine.execute({"batch_id": "b-1"}, name="exec-1")
    assert execution.status == "SUCCEEDED"
    assert execution.path[:3] == [pipeline.BACKFILL_CHOICE, pipeline.CLAIM_STATE, pipeline.EMPTY_CHOICE]
    assert machine.glue_calls == [] and machine.lambda_actions == ["claim"]  # empty batch: nothing ran


def test_without_the_backfill_job_the_definition_is_the_batch_pipeline_alone() -> None:
    definition = pipeline.state_machine_definition(job_names=JOB_NAMES, batch_function="fn")
    assert definition["StartAt"] == pipeline.CLAIM_STATE
    assert pipeline.BACKFILL_STATE not in definition["States"]


def test_the_backfill_job_is_a_pipeline_job_with_its_script() -> None:
    assert pipeline.BACKFILL in pipeline.all_jobs() and pipeline.BACKFILL.script.is_file()
    assert "backfill" not in [j.name for s in pipeline.PIPELINE for j in s.jobs]  # never part of a batch
