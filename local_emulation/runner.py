"""The local pipeline runner: executes ``gladiator.pipeline.PIPELINE`` for one batch.

What Step Functions does on AWS, done here with processes: stages in order; each job is a
``spark-submit`` of the same ``glue_jobs/<name>.py`` with the same Glue-style arguments
(``pipeline.COMMON_ARGUMENTS`` resolved from Settings + ``JobSpec.arguments`` with ``{batch_id}``
filled). Jobs of a stage run one after the other (2 cores: two Spark JVMs would only fight).
A failed job is retried ``JobSpec.max_retries`` times, then the run fails. The run's state is
recorded in the job-state table (gladiator.runs) with the batch.

A job whose script does not exist yet is recorded SKIPPED, so the pipeline runs while the later
stages are being built; ``jobs=`` restricts a run to named jobs.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gladiator import jvm, pipeline, resources
from gladiator.config import REPO_ROOT, Settings, load_settings, use_local_credentials
from gladiator.errors import GladiatorError
from gladiator.pipeline import JobSpec, Stage

log = logging.getLogger(__name__)
SPARK_SUBMIT = REPO_ROOT / ".venv" / "bin" / "spark-submit"


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
    state: str
    jobs: list[JobResult] = field(default_factory=list)


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

    memory = os.environ.get("GLADIATOR_DRIVER_MEMORY") or job.local_driver_memory
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
    """Run the pipeline for ``batch_id``; raises PipelineFailed if a job fails after retries.

    ``common`` overrides the COMMON_ARGUMENTS values (tests use isolated tables and buckets);
    ``runs`` is the RunStore (default: the job-state table named in ``common``);
    ``max_retries`` overrides every JobSpec.max_retries.
    """
    settings = settings or load_settings()
    common = dict(common or common_argument_values(settings))
    selected = set(jobs) if jobs is not None else None
    if runs is None:
        import boto3

        from gladiator.runs import RunStore

        client = boto3.client("dynamodb", **settings.boto3_kwargs())  # type: ignore[call-overload]
        runs = RunStore(common["--job_state_table"], client)
    stage_list = list(stages)
    all_jobs = [j for s in stage_list for j in s.jobs]
    runs.start_run(batch_id, batch_seq, [j.name for j in all_jobs])
    result = RunResult(batch_id=batch_id, execution_name=pipeline.execution_name(batch_id), state="RUNNING")
    log_dir = settings.home / "logs" / "pipeline" / batch_id
    try:
        for stage in stage_list:
            for job in stage.jobs:
                result.jobs.append(
                    _run_one(job, batch_id, settings, common, selected, log_dir, extra_env, runs, max_retries)
                )
    except PipelineFailed as exc:
        result.state = "FAILED"
        runs.finish_run(batch_id, "FAILED", str(exc))
        raise
    result.state = "SUCCEEDED"
    runs.finish_run(batch_id, "SUCCEEDED")
    return result


def _run_one(
    job: JobSpec,
    batch_id: str,
    settings: Settings,
    common: Mapping[str, str],
    selected: set[str] | None,
    log_dir: Path,
    extra_env: Mapping[str, str] | None,
    runs: Any,
    max_retries: int | None = None,
) -> JobResult:
    if (selected is not None and job.name not in selected) or not job.script.exists():
        why = "not selected" if job.script.exists() else f"no script {job.script.name}"
        runs.set_job(batch_id, job.name, "SKIPPED", reason=why)
        return JobResult(name=job.name, state="SKIPPED")
    argv = job_arguments(job, common, batch_id)
    log_file = log_dir / f"{job.name}.log"
    started = time.monotonic()
    retries = job.max_retries if max_retries is None else max_retries
    for attempt in range(1, retries + 2):
        runs.set_job(batch_id, job.name, "RUNNING", attempt=attempt, log=str(log_file))
        code = run_job(job, argv, settings, log_file, extra_env)
        seconds = round(time.monotonic() - started, 1)
        if code == 0:
            runs.set_job(batch_id, job.name, "SUCCEEDED", attempt=attempt, seconds=seconds, log=str(log_file))
            return JobResult(job.name, "SUCCEEDED", seconds, attempt, str(log_file))
        log.warning("%s attempt %d failed with exit code %d (log %s)", job.name, attempt, code, log_file)
    runs.set_job(
        batch_id, job.name, "FAILED", attempt=attempt, seconds=seconds, exit_code=code, log=str(log_file)
    )
    raise PipelineFailed(
        f"job {job.name} of batch {batch_id} failed {attempt} time(s) (exit code {code}); "
        f"see {log_file}, fix, then re-run: gladiator pipeline run --batch-id {batch_id}"
    )


def start_pipeline(batch: Any, *, settings: Settings | None = None, **kwargs: Any) -> str:
    """The ``run(batch)`` callable for ``gladiator.ingestion.batches.LocalStarter``: runs the whole
    pipeline of ``batch`` in the foreground and returns its execution name."""
    return run_pipeline(batch.batch_id, batch_seq=batch.batch_seq, settings=settings, **kwargs).execution_name


def main(argv: list[str] | None = None) -> None:
    """``python -m local_emulation.runner --batch-id ID``: run one batch (used by --no-wait)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-id", required=True)
    parser.add_argument("--batch-seq", type=int, default=0)
    parser.add_argument("--jobs", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    jobs = [j for j in args.jobs.split(",") if j] or None
    run_pipeline(args.batch_id, batch_seq=args.batch_seq, jobs=jobs)


if __name__ == "__main__":
    main()
