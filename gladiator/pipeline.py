"""The pipeline definition: which jobs run, with which arguments, in which order. Data, not code.

``state_machine_definition`` renders it, with the batch steps around the stages, as Amazon
States Language: CDK deploys that document (infra/constructs/pipeline_state_machine.py) and the
local runner (local_emulation/runner.py) interprets the same document, Glue tasks as
``spark-submit``. There is one source of truth for "what runs after what".

Jobs within a stage are independent and may run in parallel; stages run in order. Argument values
may contain ``{placeholders}`` filled per run from ``RunContext`` (e.g. ``{batch_id}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GLUE_JOBS_DIR = Path(__file__).resolve().parent.parent / "glue_jobs"


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """One Glue job: its entry script ``glue_jobs/<name>.py`` and its arguments."""

    name: str
    description: str
    arguments: dict[str, str] = field(default_factory=dict)
    worker_type: str = "G.1X"
    workers: int = 2
    timeout_minutes: int = 60
    max_retries: int = 1
    streaming: bool = False
    # Local runner only (Glue sizes by worker_type): the driver heap of its ``local[2]``
    # spark-submit. GLADIATOR_DRIVER_MEMORY overrides it for every job.
    local_driver_memory: str = "2g"

    @property
    def script(self) -> Path:
        return GLUE_JOBS_DIR / f"{self.name}.py"


@dataclass(frozen=True, kw_only=True)
class Stage:
    name: str
    jobs: tuple[JobSpec, ...]


# Arguments every job receives; values are resolved per environment (CDK: resource names, local:
# Settings). Job code reads them with gladiator.jobs.args, never from literals.
COMMON_ARGUMENTS = (
    "--profile",
    "--lake_bucket",
    "--landing_bucket",
    "--glue_database",
    "--ledger_table",
    "--job_state_table",
)

LANDING_TO_BRONZE = JobSpec(
    name="landing_to_bronze",
    description="Append the claimed landing files of one batch to bronze Delta (idempotent on batch).",
    arguments={"--batch_id": "{batch_id}"},
    # Parse -> append needs little heap; its two Python parser workers sit beside the JVM. SF 1
    # (bench/bench_batch.py): 1.5 GB heap -> job peak RSS 2.74 GiB, 2 GB -> 3.28 GiB.
    local_driver_memory="1536m",
)
MYSQL_TO_BRONZE = JobSpec(
    name="mysql_to_bronze",
    description="Incremental parallel JDBC extraction of the OLTP database into bronze (the Sqoop replacement).",
    arguments={"--extract_mode": "incremental", "--batch_id": "{batch_id}"},
)
BRONZE_TO_SILVER = JobSpec(
    name="bronze_to_silver",
    description="Enforce the contracts: clean, quarantine rejected rows, dedupe, MERGE into silver.",
    arguments={"--batch_id": "{batch_id}"},
    workers=4,
)
SILVER_TO_GOLD = JobSpec(
    name="silver_to_gold",
    description="Build the gold star schema and the business aggregates.",
    arguments={"--batch_id": "{batch_id}"},
    workers=4,
)
GOLD_TO_WAREHOUSE = JobSpec(
    name="gold_to_warehouse",
    description="Load new gold Delta versions into the warehouse: manifest COPY -> staging -> MERGE.",
    arguments={"--batch_id": "{batch_id}"},
)
MAINTENANCE = JobSpec(
    name="maintenance",
    description="OPTIMIZE / Z-ORDER, VACUUM with a retention guard, symlink manifests for Spectrum/Athena.",
)
# Not a stage: started by the state machine's backfill branch (an input with a "backfill" object),
# which skips the claim. It holds the pipeline lock for its whole run and rebuilds gold itself, so
# no batch writes silver or gold while a range is replaced (gladiator/jobs/backfill.py).
BACKFILL = JobSpec(
    name="backfill",
    description="Rebuild one entity's silver months from bronze (replaceWhere), then the gold tables it feeds.",
    arguments={"--entity": "{entity}", "--from": "{from}", "--to": "{to}"},
    workers=4,
    max_retries=0,  # a retry would wait on the lock its own failed attempt may still hold
)
STREAMING_ORDERS = JobSpec(
    name="streaming_orders",
    description="Kafka order events -> bronze/silver Delta and live KPIs in DynamoDB (Structured Streaming).",
    streaming=True,
    timeout_minutes=0,
)

# landing_to_bronze and mysql_to_bronze append to the same bronze tables, so they are two stages,
# not one: Delta on S3 is safe for one writer per table at a time unless commits go through the
# DynamoDB log store (io.delta:delta-storage-s3-dynamodb, which the registry here refuses), and
# Step Functions would run the jobs of one stage in parallel.
PIPELINE: tuple[Stage, ...] = (
    Stage(name="ingest", jobs=(LANDING_TO_BRONZE,)),
    Stage(name="ingest_oltp", jobs=(MYSQL_TO_BRONZE,)),
    Stage(name="clean", jobs=(BRONZE_TO_SILVER,)),
    Stage(name="model", jobs=(SILVER_TO_GOLD,)),
    Stage(name="serve", jobs=(GOLD_TO_WAREHOUSE,)),
)
SCHEDULED_JOBS: tuple[JobSpec, ...] = (MAINTENANCE,)
REPLAY_QUARANTINED = JobSpec(
    name="replay_quarantined",
    description="Replay quarantined rows and files with the current contracts (exactly once).",
    max_retries=0,  # a failed run stays open and the next `gladiator replay` resumes it
)
ON_DEMAND_JOBS: tuple[JobSpec, ...] = (BACKFILL, REPLAY_QUARANTINED)
STREAMING_JOBS: tuple[JobSpec, ...] = (STREAMING_ORDERS,)


def all_jobs() -> tuple[JobSpec, ...]:
    return (
        tuple(job for stage in PIPELINE for job in stage.jobs)
        + SCHEDULED_JOBS
        + ON_DEMAND_JOBS
        + STREAMING_JOBS
    )


def default_arguments(job: JobSpec, common: Mapping[str, str]) -> dict[str, str]:
    """A job's default arguments: ``COMMON_ARGUMENTS`` (values per environment: CDK resource
    names, or local Settings) plus its own literal arguments; ``{placeholders}`` are per run and
    come from the state machine."""
    missing = set(COMMON_ARGUMENTS) - set(common)
    if missing:
        raise ValueError(f"no value for common job arguments {sorted(missing)}")
    own = {k: v for k, v in job.arguments.items() if "{" not in v}
    return {**{name: common[name] for name in COMMON_ARGUMENTS}, **own}


def execution_name(batch_id: str) -> str:
    """The Step Functions execution name of a batch: starting the same batch twice runs it once
    (Step Functions rejects a second execution with the same name)."""
    return f"batch-{batch_id}"[:80]


# --- the state machine (Amazon States Language) ---------------------------------------------
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
GLUE_RUN_SYNC = "arn:aws:states:::glue:startJobRun.sync"
CLAIM_STATE = "claim batch"
EMPTY_CHOICE = "empty batch?"
FINISH_STATE = "finish batch"
RELEASE_STATE = "release batch"
BACKFILL_CHOICE = "backfill?"
BACKFILL_STATE = "run: backfill"
BACKFILL_INPUT = "backfill"  # the execution input's key: {"backfill": {"entity", "from", "to"}}
LAMBDA_RETRY = {
    "ErrorEquals": [
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
    ],
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
}
# A failed claim or stage gives the batch's files and the pipeline lock back, then fails.
_CATCH_ALL = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": RELEASE_STATE}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_STATE_PATH = re.compile(r"(?<!\$)\$\.(\w+)")  # a path into the execution state (not $$.)


def render_argument(name: str, value: str) -> dict[str, str]:
    """One Glue run argument as ASL parameters: ``{placeholders}`` come from the execution state
    (``"{batch_id}"`` -> ``"--batch_id.$": "$.batch_id"``); literals stay literal."""
    names = _PLACEHOLDER.findall(value)
    if not names:
        return {name: value}
    if _PLACEHOLDER.fullmatch(value):
        return {f"{name}.$": f"$.{names[0]}"}
    template = _PLACEHOLDER.sub("{}", value).replace("'", "\\'")
    return {f"{name}.$": f"States.Format('{template}', {', '.join(f'$.{n}' for n in names)})"}


def _batch_step(function: str, action: str, **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {
            "FunctionName": function,
            "Payload": {"action": action, "input.$": "$", "execution.$": "$$.Execution.Name"},
        },
        "Retry": [LAMBDA_RETRY],
        **fields,
    }


def state_machine_definition(
    *,
    job_names: Mapping[str, str],
    batch_function: str,
    stages: tuple[Stage, ...] | None = None,
    job_arguments: Callable[[JobSpec], Mapping[str, str]] = lambda job: job.arguments,
    backfill: JobSpec | None = None,
) -> dict[str, Any]:
    """The pipeline as an ASL document: claim -> empty? -> stages (one Parallel each, a
    ``glue:startJobRun.sync`` task per job) -> finish; any failed stage -> release -> Fail.

    With ``backfill`` (``BACKFILL``; its job must be in ``job_names``), the document starts with a
    Choice: an input holding a ``"backfill"`` object (``{"entity", "from", "to"}``) skips the
    claim and runs that job (which takes the pipeline lock under the execution's name), then the
    same finish step (frees the lock, starts a batch that became due meanwhile); a failed backfill
    goes through the same release step (frees the lock; there is no batch to give back).

    ``job_names`` maps a JobSpec name to the deployed Glue job name, ``batch_function`` is the
    batch Lambda (ARN or name). The claim's answer replaces the state, so every later state reads
    ``$.batch_id``; an empty batch ends at once.
    """
    stages = PIPELINE if stages is None else stages
    if not stages:
        raise ValueError("the pipeline has no stages")
    states: dict[str, Any] = {} if backfill is None else _backfill_states(backfill, job_names, job_arguments)
    states |= {
        CLAIM_STATE: _batch_step(
            batch_function, "claim", OutputPath="$.Payload", Next=EMPTY_CHOICE, Catch=[_CATCH_ALL]
        ),
        EMPTY_CHOICE: {
            "Type": "Choice",
            "Choices": [{"Variable": "$.empty", "BooleanEquals": True, "Next": "nothing to run"}],
            "Default": f"stage: {stages[0].name}",
        },
        "nothing to run": {"Type": "Succeed"},
    }
    for index, stage in enumerate(stages):
        following = f"stage: {stages[index + 1].name}" if index + 1 < len(stages) else FINISH_STATE
        branches = []
        for job in stage.jobs:
            arguments: dict[str, str] = {}
            for key, value in job_arguments(job).items():
                arguments |= render_argument(key, value)
            task = f"run: {job.name}"
            branches.append(
                {
                    "StartAt": task,
                    "States": {
                        task: {
                            "Type": "Task",
                            "Resource": GLUE_RUN_SYNC,
                            "Parameters": {"JobName": job_names[job.name], "Arguments": arguments},
                            "ResultPath": None,
                            "End": True,
                        }
                    },
                }
            )
        states[f"stage: {stage.name}"] = {
            "Type": "Parallel",
            "Branches": branches,
            "ResultPath": None,
            "Catch": [_CATCH_ALL],
            "Next": following,
        }
    states[FINISH_STATE] = _batch_step(batch_function, "finish", ResultPath=None, Next="pipeline done")
    states["pipeline done"] = {"Type": "Succeed"}
    states[RELEASE_STATE] = _batch_step(batch_function, "release", ResultPath=None, Next="pipeline failed")
    states["pipeline failed"] = {
        "Type": "Fail",
        "Error": "PipelineFailed",
        "Cause": "a pipeline stage failed",
    }
    return {
        "Comment": "Gladiator batch pipeline (gladiator/pipeline.py)",
        "StartAt": CLAIM_STATE if backfill is None else BACKFILL_CHOICE,
        "States": states,
        "TimeoutSeconds": 6 * 3600,
    }


def _backfill_states(
    job: JobSpec, job_names: Mapping[str, str], job_arguments: Callable[[JobSpec], Mapping[str, str]]
) -> dict[str, Any]:
    """The Choice on ``$.backfill`` and the backfill task: its ``{placeholders}`` are read from the
    input's ``backfill`` object, ``--batch_id`` (the run id: quality results, lineage, the lock
    holder) is the execution name."""
    arguments: dict[str, str] = {"--batch_id.$": "$$.Execution.Name"}
    for key, value in job_arguments(job).items():
        for name, rendered in render_argument(key, value).items():
            arguments[name] = (
                _STATE_PATH.sub(rf"$.{BACKFILL_INPUT}.\1", rendered) if name.endswith(".$") else rendered
            )
    return {
        BACKFILL_CHOICE: {
            "Type": "Choice",
            "Choices": [{"Variable": f"$.{BACKFILL_INPUT}", "IsPresent": True, "Next": BACKFILL_STATE}],
            "Default": CLAIM_STATE,
        },
        BACKFILL_STATE: {
            "Type": "Task",
            "Resource": GLUE_RUN_SYNC,
            "Parameters": {"JobName": job_names[job.name], "Arguments": arguments},
            "ResultPath": None,
            "Catch": [_CATCH_ALL],
            "Next": FINISH_STATE,
        },
    }


def backfill_input(entity: str, first: str, last: str) -> dict[str, Any]:
    """The execution input of a backfill (``first``/``last``: ``YYYY-MM``, or both ``all``)."""
    return {BACKFILL_INPUT: {"entity": entity, "from": first, "to": last}}


def backfill_execution_name(entity: str, first: str, last: str, started: str) -> str:
    """``backfill-<entity>-<from>-<to>-<started>``: the execution name and run id of a backfill
    (``started`` a compact UTC time, so a second backfill of the same range is a new run)."""
    return f"backfill-{entity}-{first}-{last}-{started}"[:80]
