"""The local pipeline runner: executes the state machine definition CDK deploys.

What Step Functions does on AWS, done here in-process: ``local_emulation.asl`` interprets the
ASL document of ``gladiator.pipeline.state_machine_definition`` (the claim Lambda task, the empty
batch Choice, one Parallel per stage, the finish/release tasks), with two task resources:

- ``lambda:invoke`` of the batch function: ``gladiator.ingestion.claim.run_batch_step``, the
  function the batch Lambda's handler wraps;
- ``glue:startJobRun.sync``: the same ``glue_jobs/<name>.py`` with the Glue job's DefaultArguments
  overlaid by the task's run Arguments, retried ``MaxRetries`` times. Jobs of a stage run one
  after the other (2 cores: two Spark JVMs would only fight). By default every job of the
  execution runs in one driver process (``local_emulation.job_driver``: one JVM and one Spark
  session for the whole run, started only when a job needs Spark); ``GLADIATOR_LOCAL_JOBS=
  spark-submit`` runs each job in its own ``spark-submit``, as Glue runs each in its own driver.

Each job's state is recorded with the batch in the job-state table (gladiator.runs), as
``gladiator pipeline status`` shows it. A job whose script does not exist yet, or that ``jobs=``
does not select, is recorded SKIPPED.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gladiator import constants, jvm, pipeline, resources
from gladiator.config import REPO_ROOT, Settings, load_settings, use_local_credentials
from gladiator.errors import GladiatorError
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.claim import BatchStepDeps, run_batch_step
from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.trigger import BatchTrigger, PipelineStarter
from gladiator.outcomes import RunState
from gladiator.pipeline import JobSpec, Stage
from gladiator.runs import RunStore
from local_emulation.asl import Execution, Interpreter, TaskFailed

log = logging.getLogger(__name__)
SPARK_SUBMIT = REPO_ROOT / ".venv" / "bin" / "spark-submit"
LOCAL_BATCH_FUNCTION = "local-batch-claim"


class PipelineFailed(GladiatorError):
    """A job of the pipeline failed after its retries."""


@dataclass
class JobResult:
    name: str
    state: str  # SUCCEEDED | FAILED | SKIPPED
    seconds: float = 0.0
    attempts: int = 0
    log_file: str | None = None


@dataclass
class RunResult:
    batch_id: str
    execution_name: str
    state: str  # SUCCEEDED | FAILED | EMPTY (nothing claimed: no job ran)
    jobs: list[JobResult] = field(default_factory=list)
    file_count: int = 0


@dataclass(frozen=True)
class LocalJob:
    """A deployed Glue job, locally: its spec (script, local heap), DefaultArguments, MaxRetries."""

    spec: JobSpec
    default_arguments: dict[str, str]
    max_retries: int


def common_argument_values(settings: Settings) -> dict[str, str]:
    """Values of ``pipeline.COMMON_ARGUMENTS`` for the local environment (from Settings)."""
    return {
        "--profile": settings.profile,
        "--lake_bucket": settings.lake_bucket,
        "--landing_bucket": settings.landing_bucket,
        "--glue_database": settings.glue_database,
        "--ledger_table": settings.table_name(resources.LEDGER),
        "--job_state_table": settings.table_name(resources.JOB_STATE),
    }


def job_arguments(job: JobSpec, common: Mapping[str, str], batch_id: str) -> list[str]:
    """The Glue-style argv of ``job``: COMMON_ARGUMENTS then the job's own, placeholders filled."""
    values = {name: common[name] for name in pipeline.COMMON_ARGUMENTS}
    values |= {name: value.format(batch_id=batch_id) for name, value in job.arguments.items()}
    argv: list[str] = []
    for name, value in values.items():
        argv += [name, value]
    return argv


def spark_submit_command(job: JobSpec, argv: list[str], settings: Settings) -> list[str]:
    """``spark-submit`` of the job script with the local Spark settings (jars, Delta, s3a)."""
    from gladiator.spark import local_conf

    memory = settings.driver_memory or job.local_driver_memory
    conf = local_conf(settings, driver_memory=memory)
    command = [str(SPARK_SUBMIT), "--master", "local[2]", "--name", job.name]
    command += ["--driver-memory", conf.pop("spark.driver.memory"), "--jars", conf.pop("spark.jars")]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    return [*command, str(job.script), *argv]


def _environment(settings: Settings) -> dict[str, str]:
    if settings.profile == "local":
        use_local_credentials()
    env = jvm.java_env()
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


class JobDriver:
    """The execution's driver process (``local_emulation.job_driver``), started on first use and
    again after a job killed it; ``close()`` ends it (and its JVM)."""

    def __init__(
        self, settings: Settings, jobs: Iterable[JobSpec], extra_env: Mapping[str, str] | None
    ) -> None:
        self.settings, self.extra_env = settings, dict(extra_env or {})
        self.memory = settings.driver_memory or max((j.local_driver_memory for j in jobs), key=_megabytes)
        self.process: subprocess.Popen[str] | None = None
        self.answers: Any = None

    def _start(self, log_file: Path) -> None:
        read_end, write_end = os.pipe()
        env = _environment(self.settings) | self.extra_env | {constants.DRIVER_MEMORY: self.memory}
        with (log_file.parent / "driver.log").open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "local_emulation.job_driver", "--answers-fd", str(write_end)],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO_ROOT,
                pass_fds=(write_end,),
                start_new_session=True,  # its own process group: a crash kills this driver only
                text=True,
            )
        os.close(write_end)
        self.answers = os.fdopen(read_end, encoding="utf-8")

    def run(self, script: Path, argv: list[str], log_file: Path) -> int:
        """Run a job ``script`` in the driver; its exit code (negative: the driver died of that signal)."""
        log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.process is None or self.process.poll() is not None:
            self._start(log_file)
        assert self.process is not None and self.process.stdin is not None
        request = {"script": str(script), "argv": argv, "log": str(log_file)}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.answers.readline()
        except BrokenPipeError:
            answer = ""
        if answer:
            return int(json.loads(answer)["exit_code"])
        code = self.process.wait()  # the job took the driver down (crash point, OOM kill)
        self.close()
        return code or 1

    def close(self) -> None:
        if self.process is not None:
            if self.process.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    self.process.stdin.close()
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None
        if self.answers is not None:
            self.answers.close()
            self.answers = None


def _megabytes(memory: str) -> int:
    """``"1536m"`` / ``"2g"`` -> megabytes (to pick the largest heap of a run's jobs)."""
    unit = memory[-1].lower()
    return int(memory[:-1]) * (1024 if unit == "g" else 1) if unit in "gm" else int(memory) // 2**20


def run_job(
    job: JobSpec,
    argv: list[str],
    settings: Settings,
    log_file: Path,
    extra_env: Mapping[str, str] | None = None,
) -> int:
    """Run one job to completion in its own process group; returns its exit code."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = _environment(settings) | dict(extra_env or {})
    with log_file.open("ab") as out:
        process = subprocess.Popen(
            spark_submit_command(job, argv, settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
            start_new_session=True,  # its own process group: a crash kills the whole job only
        )
        return process.wait()


def local_job_name(settings: Settings, job: JobSpec) -> str:
    """The Glue job name of ``job`` (the same naming as ``infra.config.InfraConfig.job_name``)."""
    return settings.naming.physical(job.name.replace("_", "-"))


def local_jobs(
    settings: Settings, common: Mapping[str, str], stages: Iterable[Stage] = pipeline.PIPELINE
) -> dict[str, LocalJob]:
    """The jobs the local "Glue service" knows, by job name: the stages' and the on-demand jobs
    (backfill, replay), as CDK deploys them all."""
    jobs = [job for stage in stages for job in stage.jobs] + list(pipeline.ON_DEMAND_JOBS)
    return {
        local_job_name(settings, job): LocalJob(
            spec=job, default_arguments=pipeline.default_arguments(job, common), max_retries=job.max_retries
        )
        for job in jobs
    }


class LocalGlue:
    """The ``glue:startJobRun.sync`` task: run a job to completion with spark-submit."""

    def __init__(
        self,
        jobs: Mapping[str, LocalJob],
        settings: Settings,
        runs: RunStore,
        *,
        selected: set[str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        driver: JobDriver | None = None,
    ) -> None:
        self.jobs, self.settings, self.runs = dict(jobs), settings, runs
        self.selected, self.extra_env, self.max_retries = selected, extra_env, max_retries
        self.results: list[JobResult] = []
        self._own_driver = driver is None and settings.local_jobs == "driver"
        self.driver = (
            JobDriver(settings, [j.spec for j in self.jobs.values()], extra_env)
            if self._own_driver
            else driver
        )

    def close(self) -> None:
        """End the execution's driver process, if this task started one (a driver given by the
        caller lives on: ``LocalPipeline(keep_driver=True)``)."""
        if self.driver is not None and self._own_driver:
            self.driver.close()

    def _run_once(self, spec: JobSpec, argv: list[str], log_file: Path) -> int:
        if self.driver is not None:
            return self.driver.run(spec.script, argv, log_file)
        return run_job(spec, argv, self.settings, log_file, self.extra_env)

    def __call__(self, parameters: dict[str, Any]) -> dict[str, Any]:
        name = parameters["JobName"]
        if name not in self.jobs:
            raise TaskFailed("Glue.EntityNotFoundException", f"no job {name}")
        job = self.jobs[name]
        arguments = {**job.default_arguments, **parameters.get("Arguments", {})}
        batch_id = arguments.get("--batch_id", "no-batch")
        result = self._run(job, arguments, batch_id)
        self.results.append(result)
        if result.state == RunState.FAILED:
            raise TaskFailed(
                "States.TaskFailed",
                f"job {job.spec.name} of batch {batch_id} failed {result.attempts} time(s); see {result.log_file}",
            )
        return {"JobName": name, "JobRunState": result.state}

    def _run(self, job: LocalJob, arguments: Mapping[str, str], batch_id: str) -> JobResult:
        spec = job.spec
        if (self.selected is not None and spec.name not in self.selected) or not spec.script.exists():
            why = "not selected" if spec.script.exists() else f"no script {spec.script.name}"
            self.runs.set_job(batch_id, spec.name, RunState.SKIPPED, reason=why)
            return JobResult(name=spec.name, state=RunState.SKIPPED)
        argv = [token for pair in arguments.items() for token in pair]
        log_file = self.settings.home / "logs" / "pipeline" / batch_id / f"{spec.name}.log"
        started = time.monotonic()
        retries = job.max_retries if self.max_retries is None else self.max_retries
        for attempt in range(1, retries + 2):
            self.runs.set_job(batch_id, spec.name, RunState.RUNNING, attempt=attempt, log=str(log_file))
            code = self._run_once(spec, argv, log_file)
            seconds = round(time.monotonic() - started, 1)
            timing = {"attempt": attempt, "seconds": seconds, "log": str(log_file)}
            if code == 0:
                self.runs.set_job(batch_id, spec.name, RunState.SUCCEEDED, **timing)
                return JobResult(spec.name, RunState.SUCCEEDED, seconds, attempt, str(log_file))
            log.warning("%s attempt %d failed with exit code %d (log %s)", spec.name, attempt, code, log_file)
        self.runs.set_job(batch_id, spec.name, RunState.FAILED, exit_code=code, **timing)
        return JobResult(spec.name, RunState.FAILED, seconds, attempt, str(log_file))


class LocalBatchFunction:
    """The ``lambda:invoke`` task of the batch function: ``run_batch_step``, the call the batch
    Lambda's handler wraps, answering like Lambda (``{"Payload": ..., "StatusCode": 200}``).
    A claim that opens a run records it (``RunStore.start_run``) for ``pipeline status``."""

    def __init__(self, deps: BatchStepDeps, runs: RunStore, job_names: list[str]) -> None:
        self.deps, self.runs, self.job_names = deps, runs, job_names
        self.claimed: dict[str, Any] | None = None

    def __call__(self, parameters: dict[str, Any]) -> dict[str, Any]:
        event = parameters["Payload"]
        try:
            result = run_batch_step(event, self.deps)
        except Exception as exc:  # a function error: Step Functions names it by its type
            raise TaskFailed(type(exc).__name__, str(exc)) from exc
        if event.get("action", "claim") == "claim":
            self.claimed = result
            if not result["empty"]:
                self.runs.start_run(result["batch_id"], int(result["batch_seq"]), self.job_names)
        return {"Payload": result, "StatusCode": 200}


def execute(
    definition: Mapping[str, Any],
    execution_input: dict[str, Any],
    *,
    name: str,
    glue: LocalGlue,
    batch_function: LocalBatchFunction,
    function_names: Iterable[str] = (LOCAL_BATCH_FUNCTION,),
) -> tuple[Execution, RunResult]:
    """Run one execution of ``definition``; record the run's end with its batch."""
    functions = dict.fromkeys(function_names, batch_function)

    def invoke(parameters: dict[str, Any]) -> Any:
        function = functions.get(str(parameters["FunctionName"]))
        if function is None:
            raise TaskFailed("Lambda.ResourceNotFoundException", str(parameters["FunctionName"]))
        return function(parameters)

    interpreter = Interpreter({pipeline.LAMBDA_INVOKE: invoke, pipeline.GLUE_RUN_SYNC: glue})
    try:
        execution = interpreter.execute(definition, execution_input, name=name)
    finally:
        close = getattr(glue, "close", None)  # LocalGlue ends its driver; a test's stand-in may have none
        if close is not None:
            close()
    claimed = batch_function.claimed or {}
    batch_id = str(claimed.get("batch_id") or execution_input.get("batch_id") or name)
    ran = bool(claimed) and not claimed.get("empty")
    if ran:
        glue.runs.finish_run(batch_id, execution.status, execution.cause)
    state = execution.status if ran or execution.status == RunState.FAILED else "EMPTY"
    result = RunResult(batch_id, name, state, list(glue.results), int(claimed.get("file_count") or 0))
    return execution, result


@dataclass
class LocalPipeline:
    """The pipeline of one environment (Settings, or isolated tables and buckets in ``common``)."""

    settings: Settings
    common: dict[str, str]
    stages: tuple[Stage, ...] = pipeline.PIPELINE
    trigger: BatchTrigger = field(default_factory=BatchTrigger)
    starter: PipelineStarter | None = None
    # One driver for every execution of this pipeline (the ingestion service: a warm JVM between
    # batches); else one per execution. ``close()`` ends it.
    keep_driver: bool = False
    _driver: JobDriver | None = field(default=None, init=False, repr=False)

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def _kept_driver(self, extra_env: Mapping[str, str] | None, jobs: Iterable[JobSpec]) -> JobDriver | None:
        """The driver kept between executions (``keep_driver``), started on first use."""
        if self.keep_driver and self._driver is None and self.settings.local_jobs == "driver":
            self._driver = JobDriver(self.settings, jobs, extra_env)
        return self._driver

    def run_job(self, script: Path, argv: list[str], log_file: Path) -> None:
        """Run one job script on the kept driver, as Glue's StartJobRun would run the job; raises
        PipelineFailed if it fails (its output is in ``log_file``)."""
        known = local_jobs(self.settings, self.common, self.stages)
        driver = self._kept_driver(None, [j.spec for j in known.values()])
        if driver is None:
            raise PipelineFailed(
                f"job {script.name}: this pipeline keeps no driver (GLADIATOR_LOCAL_JOBS=spark-submit); "
                "run the command with --in-process"
            )
        code = driver.run(script, argv, log_file)
        if code != 0:
            raise PipelineFailed(f"job {script.name} failed (exit code {code}): see {log_file}")

    def warm_up(self) -> bool:
        """Start the kept driver's JVM and Spark session now and exercise them
        (``local_emulation.warm_up``: a small Delta write, MERGE and read), so the next execution
        neither waits for the JVM nor runs the common paths uncompiled. False if there is no kept driver (``keep_driver``
        off, or jobs run by spark-submit); raises PipelineFailed if the session did not start."""
        known = local_jobs(self.settings, self.common, self.stages)
        driver = self._kept_driver(None, [j.spec for j in known.values()])
        if driver is None:
            return False
        log_file = self.settings.home / "logs" / "driver" / "warm-up.log"
        if driver.run(REPO_ROOT / "local_emulation" / "warm_up.py", ["--exercise"], log_file) != 0:
            raise PipelineFailed(f"the job driver's Spark session did not start: see {log_file}")
        return True

    @classmethod
    def of(
        cls, settings: Settings | None = None, common: Mapping[str, str] | None = None, **kw: Any
    ) -> LocalPipeline:
        settings = settings or load_settings()
        return cls(settings=settings, common=dict(common or common_argument_values(settings)), **kw)

    def client(self, service: str) -> Any:
        if self.settings.profile == "local":
            use_local_credentials()
        return self.settings.client(service)

    @property
    def batches(self) -> BatchStore:
        ddb = self.client("dynamodb")
        return BatchStore(self.common["--job_state_table"], Ledger(self.common["--ledger_table"], ddb), ddb)

    def definition(self) -> dict[str, Any]:
        jobs = [job for s in self.stages for job in s.jobs] + list(pipeline.ON_DEMAND_JOBS)
        return pipeline.state_machine_definition(
            job_names={job.name: local_job_name(self.settings, job) for job in jobs},
            batch_function=LOCAL_BATCH_FUNCTION,
            stages=self.stages,
            backfill=pipeline.BACKFILL,  # as CDK deploys it (infra/stacks/processing.py)
        )

    def run(
        self,
        execution_input: dict[str, Any],
        *,
        name: str,
        jobs: Iterable[str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        runs: RunStore | None = None,
        max_retries: int | None = None,
        definition: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """One execution (the claim included); raises PipelineFailed if it failed."""
        batches = self.batches
        runs = runs or RunStore(self.common["--job_state_table"], batches.client)
        known = local_jobs(self.settings, self.common, self.stages)
        glue = LocalGlue(
            known,
            self.settings,
            runs,
            selected=set(jobs) if jobs is not None else None,
            extra_env=extra_env,
            max_retries=max_retries,
            driver=self._kept_driver(extra_env, [j.spec for j in known.values()]),
        )
        deps = BatchStepDeps(batches=batches, trigger=self.trigger, starter=self.starter)
        function = LocalBatchFunction(deps, runs, [j.name for s in self.stages for j in s.jobs])
        execution, result = execute(
            definition or self.definition(), execution_input, name=name, glue=glue, batch_function=function
        )
        if execution.status == RunState.FAILED:
            raise PipelineFailed(
                f"execution {name} (batch {result.batch_id}) failed in {execution.path[-2:]}: {execution.cause}; "
                "its files went back to VALIDATED: fix, then `gladiator pipeline run` claims them again"
            )
        return result


def run_pipeline(
    batch_id: str,
    *,
    batch_seq: int = 0,
    settings: Settings | None = None,
    stages: Iterable[Stage] = pipeline.PIPELINE,
    jobs: Iterable[str] | None = None,
    common: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    runs: Any = None,
    max_retries: int | None = None,
) -> RunResult:
    """Run the state machine for ``batch_id`` (the claim step is idempotent on it: an already
    claimed batch is run as it is). Raises PipelineFailed if a job fails after retries.

    ``common`` overrides the COMMON_ARGUMENTS values (tests use isolated tables and buckets);
    ``runs`` is the RunStore; ``max_retries`` overrides every job's MaxRetries. ``batch_seq`` is
    kept for callers; the sequence comes from the batch item.
    """
    del batch_seq
    local = LocalPipeline.of(settings, common, stages=tuple(stages))
    return local.run(
        {"batch_id": batch_id},
        name=pipeline.execution_name(batch_id),
        jobs=jobs,
        extra_env=extra_env,
        runs=runs,
        max_retries=max_retries,
    )


def start_pipeline(batch: Any, *, settings: Settings | None = None, **kwargs: Any) -> str:
    """Run the whole pipeline of ``batch`` in the foreground; its execution name."""
    return run_pipeline(batch.batch_id, settings=settings, **kwargs).execution_name


def main(argv: list[str] | None = None) -> None:
    """``python -m local_emulation.runner --batch-id ID``: run one batch (used by --no-wait)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-id", required=True)
    parser.add_argument("--batch-seq", type=int, default=0)
    parser.add_argument("--jobs", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    jobs = [j for j in args.jobs.split(",") if j] or None
    run_pipeline(args.batch_id, jobs=jobs)


if __name__ == "__main__":
    main()
