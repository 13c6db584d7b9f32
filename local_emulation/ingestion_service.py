"""The local ingestion service: what AWS does for a landing file, as one background process.

Started by ``gladiator local up`` (``services.IngestionService``), it loops:
- the event-source-mapping poller of the landing Lambda: the REAL handler with the real SQS event
  shape (``lambda_runtime.EventSourceMapping``), until the queue is drained;
- the batch trigger (``gladiator.ingestion.trigger``, the same policy the landing Lambda applies
  on AWS; evaluated every tick, it is also the schedule's catch-up for the maximum wait);
- the local pipeline runner: a due batch starts one execution of the deployed definition
  (claim -> stages -> finish) in a worker thread, one at a time; the poller keeps ingesting
  meanwhile, so a file arriving during a batch waits for the next one;
- executions that commands queued (``local_emulation.executions``: `gladiator pipeline run`
  while this service runs), taken before a due batch, on the same warm driver.

A file put into the landing bucket by any S3 client therefore flows to silver, gold and the
warehouse with no further command. The loop touches a heartbeat file each tick (its health check).
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gladiator.config import Settings, load_settings, use_local_credentials
from gladiator.ingestion.trigger import BatchTrigger, maybe_start
from gladiator.outcomes import RunState
from local_emulation import executions

log = logging.getLogger(__name__)
Execute = Callable[[str, dict[str, Any]], object]


def heartbeat_file(settings: Settings) -> Path:
    return settings.home / "stack" / "run" / "ingestion.heartbeat"


class IngestionLoop:
    """One process's poller + trigger + runner. ``execute(name, input)`` runs one execution
    (default: ``runner.LocalPipeline.run``); tests pass their own."""

    def __init__(
        self,
        settings: Settings,
        *,
        trigger: BatchTrigger | None = None,
        execute: Execute | None = None,
        mapping: Any = None,
        batches: Any = None,
    ) -> None:
        from local_emulation import runner
        from local_emulation.lambda_runtime import landing_mapping

        self.settings = settings
        self.trigger = trigger or BatchTrigger.from_env()
        pipeline = runner.LocalPipeline.of(settings, trigger=self.trigger, keep_driver=True)  # a warm JVM
        self.pipeline = pipeline
        self.batches = batches or pipeline.batches
        self.mapping = mapping or landing_mapping(settings, retry_delay_s=2)
        self._execute = execute or (lambda name, data: pipeline.run(data, name=name))
        self._execute_request = (
            (lambda request: self._execute(request.name, request.input))
            if execute
            else (lambda request: pipeline.run(request.input, name=request.name, jobs=request.jobs))
        )
        self.worker: threading.Thread | None = None
        self.executions: list[str] = []
        self.failures: list[str] = []
        self._free_a_dead_lock()

    def _free_a_dead_lock(self) -> None:
        """A lock held when the service starts was left by a run of a previous service process
        (killed mid-run; locally only this service runs batches unattended): free it, or the
        pipeline would wait for the lease (hours). Its files are claimed by that batch:
        `gladiator pipeline run --batch-id` finishes it."""
        holder = self.batches.lock_holder()
        if holder is not None:
            log.warning("freeing the pipeline lock left by %s (a previous service's run)", holder)
            self.batches.release_lock(holder)
        for name in executions.abandon_running(self.settings):
            log.warning("execution %s was left running by a previous service: recorded FAILED", name)

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    def start(self, name: str, payload: dict[str, Any]) -> str:
        """The trigger's starter: one execution at a time, in the worker thread."""
        if self.busy or name in self.executions:
            return name
        self._run_in_worker(name, lambda: self._execute(name, payload))
        return name

    def warm_up(self) -> None:
        """Start the warm driver's JVM and Spark session in the worker, before a batch needs
        them (a batch due meanwhile waits for it, as it would for the JVM)."""
        self._run_in_worker("warm-up", self.pipeline.warm_up)

    def start_requested(self, request: executions.Request) -> None:
        """Run an execution a command queued; its outcome goes back to the queue."""

        def work() -> None:
            try:
                if request.job is not None:  # one job script (StartJobRun), e.g. the stream
                    job = request.job
                    self.pipeline.run_job(Path(job["script"]), list(job["argv"]), Path(job["log"]))
                else:
                    self._execute_request(request)
            except Exception as exc:
                executions.finish(self.settings, request.name, RunState.FAILED, str(exc))
                raise
            executions.finish(self.settings, request.name, RunState.SUCCEEDED)

        self._run_in_worker(request.name, work)

    def _run_in_worker(self, name: str, execute: Callable[[], object]) -> None:
        self.executions.append(name)

        def work() -> None:
            try:
                execute()
            except Exception as exc:  # recorded with the batch (FAILED, files released)
                log.error("execution %s failed: %s", name, exc)
                self.failures.append(name)

        self.worker = threading.Thread(target=work, name=f"execution-{name}", daemon=True)
        self.worker.start()

    def tick(self) -> None:
        """Drain the landing queue, then start a queued execution, or a batch if one is due, when
        none runs."""
        while self.mapping.poll_once().invocations:
            pass
        if not self.busy and (request := executions.take(self.settings)) is not None:
            log.info("execution %s queued by a command started", request.name)
            self.start_requested(request)
        elif not self.busy:
            started = maybe_start(self.batches, self.trigger, self.start)
            if started:
                log.info("batch %s started", started)

    def run(self, stop: threading.Event, *, interval_s: float = 1.0, heartbeat: Path | None = None) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the emulator restarting, a resource not provisioned yet: retry
                log.exception("ingestion tick failed; retrying")
            if heartbeat is not None:
                heartbeat.parent.mkdir(parents=True, exist_ok=True)
                heartbeat.touch()
            stop.wait(interval_s)
        if self.worker is not None:
            self.worker.join()


def main(argv: list[str] | None = None) -> None:
    """``python -m local_emulation.ingestion_service``: run until SIGTERM."""
    import signal

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=1.0, help="Seconds between ticks.")
    parser.add_argument("--home", help="The stack's home folder (the process marker; from the settings).")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    settings = load_settings("local")
    use_local_credentials()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    loop: IngestionLoop | None = None
    while loop is None and not stop.is_set():
        try:
            loop = IngestionLoop(settings)
        except Exception:  # the queue is created by provisioning, right after the services start
            heartbeat_file(settings).parent.mkdir(parents=True, exist_ok=True)
            heartbeat_file(settings).touch()
            time.sleep(1)
    if loop is not None:
        log.info("ingestion service running (trigger %s)", loop.trigger)
        loop.warm_up()
        try:
            loop.run(stop, interval_s=args.interval, heartbeat=heartbeat_file(settings))
        finally:
            loop.pipeline.close()  # the warm driver (and its JVM)


if __name__ == "__main__":
    main()
