"""Landing Lambda: S3 "Object Created" events (EventBridge -> SQS) -> validated ledger entries.

The handler is Powertools decorators around one ``process_partial_response`` call: each SQS record
is processed on its own and only the failed ones are reported back (``batchItemFailures``), so SQS
redelivers just those, and sends a record to the DLQ after the queue's maxReceiveCount.

Per object the work is ``gladiator.ingestion.process.handle_object_event`` wrapped in Powertools
idempotency keyed on the object version (``file_id`` = bucket/key#versionId-or-eTag): duplicates
delivered at the same time wait for (or reuse) the first one's result. The INPROGRESS record
expires with the invocation's remaining time, so one left by a crashed or timed-out invocation is
retried instead of blocking the file until the record's expiry. The ledger's conditional writes
are the second, durable line of defence.

After the records, the batch trigger (``gladiator.ingestion.trigger``) runs once per invocation:
if the waiting VALIDATED files make a batch due and no run holds the pipeline lock, it starts the
pipeline state machine (named in the environment; locally the ingestion service triggers instead).
A trigger failure never fails the records: the schedule is the catch-up.

Data quality: each object that was validated publishes its file-rule results (``FilesChecked``
and ``FilesFailed`` per rule, dimensions Stage=landing, Entity, Rule; namespace
``Gladiator/DataQuality``, the batch jobs' namespace) through Powertools metrics, from inside the
idempotent function, so a redelivered event is not counted twice. Its OpenLineage run is emitted
by ``handle_object_event`` (``Settings.lineage_url`` on AWS, the local file transport locally).

Clients are created on the first invocation, not at import (moto, LocalStack and AWS all fit).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from gladiator import resources
from gladiator.errors import IllegalTransition
from gladiator.ingestion.claim import BatchStepDeps
from gladiator.ingestion.object_events import ObjectEvent, parse_object_events
from gladiator.ingestion.process import batch_step_deps, deps_from_settings, handle_object_event
from gladiator.ingestion.trigger import maybe_start
from gladiator.quality import EMF_NAMESPACE, RuleResult

IDEMPOTENCY_EXPIRY_S = 24 * 3600  # a replay within a day is answered from the idempotency record

logger = Logger(service="on_landing_object")
tracer = Tracer(service="on_landing_object")
metrics = Metrics(namespace="Gladiator", service="on_landing_object")
processor = BatchProcessor(event_type=EventType.SQS)


@dataclass(frozen=True)
class Runtime:
    config: IdempotencyConfig
    ingest: Callable[..., dict[str, Any]]
    batch: BatchStepDeps | None = None  # the batch trigger (None: no state machine to start)


@functools.cache
def runtime() -> Runtime:
    """Clients, names and the idempotent per-object function, built once per container."""
    import boto3

    from gladiator.config import load_settings

    settings = load_settings()
    session = boto3.Session()
    deps = deps_from_settings(settings, session)
    config = IdempotencyConfig(
        event_key_jmespath="file_id",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_EXPIRY_S,
    )
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.table_name(resources.IDEMPOTENCY),
        boto3_client=settings.client("dynamodb", session),
    )

    @idempotent_function(
        data_keyword_argument="event",
        persistence_store=persistence,
        config=config,
        key_prefix="on_landing_object.ingest_object",  # stable across module copies and bundles
    )
    def ingest_object(event: dict[str, Any]) -> dict[str, Any]:
        outcome = handle_object_event(ObjectEvent.from_dict(event), deps)
        publish_file_quality(outcome.rule_results())
        return outcome.as_dict()

    return Runtime(config=config, ingest=ingest_object, batch=batch_step_deps(settings, session))


def publish_file_quality(results: list[RuleResult]) -> None:
    """One EMF record per file rule: FilesChecked / FilesFailed with Stage, Entity and Rule.

    Its own ``EphemeralMetrics`` per record: Powertools' ``Metrics`` keeps one dimension set for
    the whole invocation, and these records differ in Entity and Rule."""
    for result in results:
        record = EphemeralMetrics(namespace=EMF_NAMESPACE)
        record.add_dimension(name="Stage", value="landing")
        record.add_dimension(name="Entity", value=result.entity)
        record.add_dimension(name="Rule", value=result.rule)
        record.add_metric(name="FilesChecked", unit=MetricUnit.Count, value=result.checked)
        record.add_metric(name="FilesFailed", unit=MetricUnit.Count, value=result.failed)
        record.flush_metrics()


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> list[dict[str, Any]]:
    """All object events in one SQS message; raising fails (and later retries) this record."""
    current = runtime()
    current.config.register_lambda_context(lambda_context)  # INPROGRESS expires with this invocation
    outcomes = []
    for event in parse_object_events(record.body):
        try:
            outcome = current.ingest(event=event.as_dict())
        except IllegalTransition as exc:
            logger.error("illegal ledger transition refused", file_id=event.file_id, error=str(exc))
            metrics.add_metric(name="IllegalTransitions", unit=MetricUnit.Count, value=1)
            continue
        metrics.add_metric(name=f"Files_{outcome['action']}", unit=MetricUnit.Count, value=1)
        logger.info("landing object ingested", **outcome)
        outcomes.append(outcome)
    return outcomes


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    start_batch_if_due(runtime().batch)
    return response


def start_batch_if_due(batch: BatchStepDeps | None) -> str | None:
    """Start the pipeline if the batch trigger says so (no-op without a state machine)."""
    if batch is None or batch.starter is None:
        return None
    try:
        started = maybe_start(batch.batches, batch.trigger, batch.starter)
    except Exception:  # the schedule catches up; the records are done either way
        logger.exception("batch trigger failed")
        metrics.add_metric(name="BatchTriggerErrors", unit=MetricUnit.Count, value=1)
        return None
    if started:
        logger.info("batch started", batch_id=started)
        metrics.add_metric(name="BatchesTriggered", unit=MetricUnit.Count, value=1)
    return started
