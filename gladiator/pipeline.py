"""The pipeline definition: which jobs run, with which arguments, in which order. Data, not code.

CDK renders it into the Step Functions state machine (infra/); the local runner
(local_emulation/runner.py) executes it with ``spark-submit``. There is one source of truth for
"what runs after what".

Jobs within a stage are independent and may run in parallel; stages run in order. Argument values
may contain ``{placeholders}`` filled per run from ``RunContext`` (e.g. ``{batch_id}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
STREAMING_JOBS: tuple[JobSpec, ...] = (STREAMING_ORDERS,)


def all_jobs() -> tuple[JobSpec, ...]:
    return tuple(job for stage in PIPELINE for job in stage.jobs) + SCHEDULED_JOBS + STREAMING_JOBS


def execution_name(batch_id: str) -> str:
    """The Step Functions execution name of a batch: starting the same batch twice runs it once
    (Step Functions rejects a second execution with the same name)."""
    return f"batch-{batch_id}"[:80]
