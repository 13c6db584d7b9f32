"""The AWS resources Gladiator needs, defined once.

The CDK constructs (infra/) and the local provisioner (local_emulation/provision.py) both build
their buckets, tables and queues from these specs, so the local emulation and a real account
cannot drift apart: a test compares the synthesized templates with what the provisioner creates.

Physical names are ``<prefix>-<logical>``; the prefix comes from configuration (``gladiator-local``
by default) so several environments can share one account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AttributeType = Literal["S", "N", "B"]


@dataclass(frozen=True, kw_only=True)
class KeySpec:
    name: str
    type: AttributeType = "S"


@dataclass(frozen=True, kw_only=True)
class IndexSpec:
    """A global secondary index, projecting all attributes."""

    name: str
    partition_key: KeySpec
    sort_key: KeySpec | None = None


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """A DynamoDB table: on-demand billing, PITR and KMS on AWS."""

    logical: str
    partition_key: KeySpec
    sort_key: KeySpec | None = None
    ttl_attribute: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    purpose: str = ""

    def attribute_definitions(self) -> dict[str, AttributeType]:
        """Every key attribute of the table and its indexes, name -> type."""
        keys = [self.partition_key, self.sort_key]
        for index in self.indexes:
            keys += [index.partition_key, index.sort_key]
        return {k.name: k.type for k in keys if k is not None}


@dataclass(frozen=True, kw_only=True)
class LifecycleSpec:
    prefix: str = ""
    expire_days: int | None = None
    noncurrent_expire_days: int | None = None
    abort_multipart_days: int | None = 7


@dataclass(frozen=True, kw_only=True)
class BucketSpec:
    """An S3 bucket: block public access, SSL only, versioned and KMS-encrypted on AWS."""

    logical: str
    versioned: bool = True
    event_bridge: bool = False
    lifecycle: tuple[LifecycleSpec, ...] = ()
    purpose: str = ""


@dataclass(frozen=True, kw_only=True)
class QueueSpec:
    """An SQS queue with its dead-letter queue."""

    logical: str
    visibility_timeout_s: int
    max_receive_count: int
    retention_s: int = 4 * 24 * 3600
    dlq_retention_s: int = 14 * 24 * 3600
    purpose: str = ""

    @property
    def dlq_logical(self) -> str:
        return f"{self.logical}-dlq"


@dataclass(frozen=True, kw_only=True)
class EventRuleSpec:
    """An EventBridge rule on the default bus: S3 'Object Created' in a bucket -> a queue."""

    logical: str
    source_bucket: str
    target_queue: str
    detail_types: tuple[str, ...] = ("Object Created",)


# --- Buckets ---------------------------------------------------------------------------------
LANDING = BucketSpec(
    logical="landing",
    event_bridge=True,
    lifecycle=(LifecycleSpec(expire_days=30, noncurrent_expire_days=7),),
    purpose="raw files dropped by producers; every object version is an ingestion event",
)
LAKE = BucketSpec(
    logical="lake",
    lifecycle=(LifecycleSpec(noncurrent_expire_days=30),),
    purpose="Delta Lake: bronze/, silver/, gold/, quarantine/, _checkpoints/",
)
QUARANTINE = BucketSpec(
    logical="quarantine",
    lifecycle=(LifecycleSpec(expire_days=90, noncurrent_expire_days=30),),
    purpose="rejected landing files with their reason code",
)
ASSETS = BucketSpec(
    logical="assets",
    purpose="Glue job scripts, the shared package wheel/zip, warehouse COPY manifests",
)
ACCESS_LOGS = BucketSpec(
    logical="access-logs",
    versioned=False,
    lifecycle=(LifecycleSpec(expire_days=365, abort_multipart_days=None),),
    purpose="S3 server access logs of the other buckets",
)
BUCKETS: tuple[BucketSpec, ...] = (LANDING, LAKE, QUARANTINE, ASSETS, ACCESS_LOGS)

# --- DynamoDB tables -------------------------------------------------------------------------
LEDGER = TableSpec(
    logical="ledger",
    partition_key=KeySpec(name="file_id"),
    indexes=(
        IndexSpec(
            name="by_state",
            partition_key=KeySpec(name="state"),
            sort_key=KeySpec(name="state_changed_at"),
        ),
        IndexSpec(
            name="by_batch",
            partition_key=KeySpec(name="batch_id"),
            sort_key=KeySpec(name="file_id"),
        ),
    ),
    purpose="per-file state machine RECEIVED -> VALIDATED -> CLAIMED -> LOADED | QUARANTINED",
)
JOB_STATE = TableSpec(
    logical="job-state",
    partition_key=KeySpec(name="pk"),
    sort_key=KeySpec(name="sk"),
    ttl_attribute="expires_at",
    purpose="batches, pipeline runs, reconciliations, extraction watermarks, warehouse load ledger",
)
IDEMPOTENCY = TableSpec(
    logical="idempotency",
    partition_key=KeySpec(name="id"),
    ttl_attribute="expiration",
    purpose="Powertools idempotency records of the landing Lambda",
)
LIVE_KPIS = TableSpec(
    logical="live-kpis",
    partition_key=KeySpec(name="kpi_key"),
    sort_key=KeySpec(name="window_start"),
    ttl_attribute="expires_at",
    purpose="per-minute, per-region order KPIs upserted by the streaming job",
)
TABLES: tuple[TableSpec, ...] = (LEDGER, JOB_STATE, IDEMPOTENCY, LIVE_KPIS)

# --- Queues and routing ----------------------------------------------------------------------
LANDING_EVENTS = QueueSpec(
    logical="landing-events",
    visibility_timeout_s=180,  # >= 6x the Lambda timeout (30 s), as AWS recommends
    max_receive_count=5,
    purpose="S3 Object Created events for the landing Lambda",
)
QUEUES: tuple[QueueSpec, ...] = (LANDING_EVENTS,)

LANDING_OBJECT_CREATED = EventRuleSpec(
    logical="landing-object-created",
    source_bucket=LANDING.logical,
    target_queue=LANDING_EVENTS.logical,
)
EVENT_RULES: tuple[EventRuleSpec, ...] = (LANDING_OBJECT_CREATED,)


def object_created_pattern(bucket: str, detail_types: tuple[str, ...]) -> dict[str, Any]:
    """The EventBridge pattern for S3 events of ``bucket`` (the CDK rule and the local
    provisioner both use it)."""
    return {"source": ["aws.s3"], "detail-type": list(detail_types), "detail": {"bucket": {"name": [bucket]}}}


@dataclass(frozen=True)
class Naming:
    """Turns logical names into physical ones for one environment."""

    prefix: str = "gladiator-local"
    overrides: dict[str, str] = field(default_factory=dict)

    def physical(self, logical: str) -> str:
        return self.overrides.get(logical, f"{self.prefix}-{logical}")

    def glue_database(self) -> str:
        return self.overrides.get("glue-database", self.prefix.replace("-", "_"))
