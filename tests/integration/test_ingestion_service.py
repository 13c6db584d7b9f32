"""The local ingestion service's loop under a burst: the real S3 -> EventBridge -> SQS path, the
real landing handler, the batch trigger and the deployed definition's batch steps (claim, finish)
on isolated resources; the Glue jobs are a stand-in that does what landing_to_bronze does to the
ledger (mark the batch's files LOADED) and takes a while, so batches overlap with arrivals.

Properties: a burst of 1,000 small files makes a bounded number of batches; never two executions
at once; no file lost, none loaded twice; a file that arrives while a batch runs goes to a later
batch.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gladiator import constants, pipeline, resources
from gladiator.config import Settings
from gladiator.ingestion.claim import BatchStepDeps
from gladiator.ingestion.model import LedgerState
from gladiator.ingestion.process import batch_store
from gladiator.ingestion.trigger import BatchTrigger
from gladiator.runs import RunStore
from local_emulation import executions, runner
from local_emulation.ingestion_service import IngestionLoop
from local_emulation.lambda_runtime import IngestionSandbox, load_handler_module, provision_ingestion

BURST = 1000
HEADER = "r_regionkey,r_name,r_comment,updated_at\n"


@pytest.fixture
def sandbox(local_stack: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestionSandbox]:
    prefix = f"gl-s{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv(constants.STACK_PREFIX, prefix)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    settings = replace(local_stack, naming=resources.Naming(prefix=prefix))
    built = provision_ingestion(settings)
    load_handler_module().runtime.cache_clear()
    yield built
    load_handler_module().runtime.cache_clear()
    built.delete()


class SlowGlue:
    """Stand-in Glue jobs: landing_to_bronze marks the batch LOADED (as the real job does); each
    run records how many executions are in their stages at once."""

    def __init__(self, deps: BatchStepDeps, runs: RunStore, seconds: float) -> None:
        self.deps, self.runs, self.seconds = deps, runs, seconds
        self.results: list[Any] = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()
        self.during_first_batch = threading.Event()

    def __call__(self, parameters: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self.during_first_batch.set()
            time.sleep(self.seconds)
            if parameters["JobName"] == "landing_to_bronze":
                self.deps.batches.mark_loaded(parameters["Arguments"]["--batch_id"])
        finally:
            with self.lock:
                self.active -= 1
        return {"JobRunState": "SUCCEEDED"}


def put_files(s3: Any, bucket: str, keys: list[str]) -> None:
    def put(key: str) -> None:
        row = f"{abs(hash(key)) % 10**9},NAME,comment,2026-01-01 00:00:00.000000\n"
        s3.put_object(Bucket=bucket, Key=key, Body=(HEADER + row).encode())

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, keys))


@pytest.mark.slow
def test_a_burst_makes_few_batches_one_at_a_time_and_loads_every_file_once(sandbox: IngestionSandbox) -> None:
    settings = sandbox.settings
    trigger = BatchTrigger(max_files=50, max_wait_s=3)
    store = batch_store(settings)
    deps = BatchStepDeps(batches=store, trigger=trigger)
    runs = RunStore(store.table_name, store.client)
    glue = SlowGlue(deps, runs, seconds=0.3)
    names = {j.name: j.name for s in pipeline.PIPELINE for j in s.jobs}
    definition = pipeline.state_machine_definition(
        job_names=names, batch_function=runner.LOCAL_BATCH_FUNCTION
    )

    def execute(name: str, data: dict[str, Any]) -> object:
        function = runner.LocalBatchFunction(deps, runs, list(names))
        execution, _ = runner.execute(definition, data, name=name, glue=glue, batch_function=function)  # type: ignore[arg-type]
        assert execution.status == "SUCCEEDED", execution
        return execution

    loop = IngestionLoop(settings, trigger=trigger, execute=execute, mapping=sandbox.mapping(batch_size=10))
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), kwargs={"interval_s": 0.2}, daemon=True)
    thread.start()
    s3 = sandbox.client("s3")
    keys = [f"region/burst-{i:04d}.csv" for i in range(BURST)]
    try:
        put_files(s3, settings.landing_bucket, keys)
        assert glue.during_first_batch.wait(300), "no batch started"
        late = "region/late-arrival.csv"
        put_files(s3, settings.landing_bucket, [late])
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            states = [e.state for e in store.ledger.entries()]
            if len(states) == BURST + 1 and all(s == LedgerState.LOADED for s in states) and not loop.busy:
                break
            time.sleep(1)
    finally:
        stop.set()
        thread.join(timeout=120)

    entries = {e.key: e for e in store.ledger.entries()}
    assert len(entries) == BURST + 1 and all(e.state == LedgerState.LOADED for e in entries.values())
    batches = [b for b in store.all() if b.file_count]
    claimed = [f for b in batches for f in b.file_ids]
    assert len(claimed) == len(set(claimed)) == BURST + 1  # every file in exactly one batch
    assert len(batches) <= BURST // trigger.max_files + 1, [b.file_count for b in batches]
    assert glue.max_active == 1  # never two executions in their stages at once
    assert not loop.failures
    first = min(batches, key=lambda b: b.batch_seq)
    assert entries[late].batch_id != first.batch_id  # it arrived while the first batch ran


def test_an_execution_a_command_queued_runs_on_the_service_and_reports_back(
    sandbox: IngestionSandbox, tmp_path: Path
) -> None:
    """`gladiator pipeline run` while the service runs: its execution is queued
    (local_emulation.executions), taken by the service's next tick, run there, and its outcome
    written back; a failed execution reports its cause. A single job script (what `gladiator stream
    run --available-now` queues) runs on the service's kept driver, its exit code the outcome."""
    settings = sandbox.settings
    ran: list[tuple[str, dict[str, Any]]] = []

    def execute(name: str, data: dict[str, Any]) -> object:
        ran.append((name, data))
        if data["batch_id"] == "bad":
            raise runner.PipelineFailed(f"execution {name} failed in ['bronze_to_silver']")
        return name

    loop = IngestionLoop(settings, execute=execute, mapping=sandbox.mapping(batch_size=10))
    for batch_id in ("good", "bad"):
        executions.submit(settings, executions.Request(f"batch-{batch_id}", {"batch_id": batch_id}))
    # one job script on the service's kept driver (what `gladiator stream run --available-now` queues)
    script = tmp_path / "job.py"
    script.write_text(
        "import os, sys\nprint('argv', sys.argv[1:], 'pid', os.getpid())\nsys.exit(int(sys.argv[1]))\n"
    )
    for code in (0, 3):
        job = {"script": str(script), "argv": [str(code)], "log": str(tmp_path / f"job-{code}.log")}
        executions.submit(settings, executions.Request(f"job-{code}", {}, job=job))
    outcomes = {}
    for name in ("batch-good", "batch-bad", "job-0", "job-3"):
        loop.tick()  # takes the oldest queued request (no file is due)
        assert loop.worker is not None
        loop.worker.join(timeout=60)
        outcomes[name] = executions.wait(settings, name, alive=lambda: not loop.busy, poll_s=0.05)
    assert ran == [("batch-good", {"batch_id": "good"}), ("batch-bad", {"batch_id": "bad"})]
    assert outcomes["batch-good"] == executions.Outcome("batch-good", "SUCCEEDED")
    assert outcomes["batch-bad"].status == "FAILED" and "bronze_to_silver" in (
        outcomes["batch-bad"].cause or ""
    )
    assert outcomes["job-0"] == executions.Outcome("job-0", "SUCCEEDED")
    assert outcomes["job-3"].status == "FAILED" and "exit code 3" in (outcomes["job-3"].cause or "")
    driver = loop.pipeline._driver
    assert driver is not None and driver.process is not None  # both jobs ran in the one kept driver
    assert f"argv ['0'] pid {driver.process.pid}" in (tmp_path / "job-0.log").read_text()
    assert f"argv ['3'] pid {driver.process.pid}" in (tmp_path / "job-3.log").read_text()
    assert loop.failures == ["batch-bad", "job-3"]
    loop.pipeline.close()
