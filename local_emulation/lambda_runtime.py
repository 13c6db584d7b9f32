"""An in-process SQS event source mapping: polls a queue and calls the REAL Lambda handler.

No emulator here runs Lambda code without Docker, so this stands in for Lambda's SQS poller with
the same contract the handler sees on AWS:
- the event is the real SQS shape (``Records`` with messageId, receiptHandle, body, attributes
  incl. ApproximateReceiveCount, messageAttributes, md5OfBody, eventSource, eventSourceARN,
  awsRegion), at most ``batch_size`` records per invocation;
- the context has the attributes of the Python runtime's ``LambdaContext`` and a real deadline
  (``get_remaining_time_in_millis`` counts down from ``function_timeout_s``);
- partial batch responses (``batchItemFailures``): successes are deleted, failures stay on the
  queue. On AWS they reappear after the visibility timeout (180 s here); locally the poller shortens
  that to ``retry_delay_s`` with ChangeMessageVisibility so retries happen within a test;
- a handler that raises (or dies: ``SystemExit`` stands for a crash or timeout) fails the whole
  batch, like an invocation error;
- the DLQ: SQS itself moves a message after the queue's maxReceiveCount (checked: moto_server
  5.2.5 honours RedrivePolicy on receive), so the poller does not move anything.

``concurrency`` > 1 runs several pollers, each with its own copy of the handler module (one per
"container"), as Lambda scales out on a busy queue.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from gladiator.config import REPO_ROOT

LANDING_APP = REPO_ROOT / "lambdas" / "on_landing_object" / "app.py"
Handler = Callable[[dict[str, Any], Any], Any]


def load_handler_module(path: Path = LANDING_APP, *, instance: int = 0) -> ModuleType:
    """Import a Lambda's ``app.py`` from its folder, as the runtime does (one module per container).

    Cached per (path, instance) in ``sys.modules``, so tests and the poller share an instance.
    """
    name = f"_lambda_{path.parent.name}_{instance}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


@dataclass
class LambdaContext:
    """The Python runtime's context object, with a real deadline."""

    function_name: str
    timeout_s: float
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    region: str = "us-east-1"
    account: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]{self.aws_request_id[:8]}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


@dataclass
class PollStats:
    invocations: int = 0
    received: int = 0
    succeeded: int = 0
    failed: int = 0  # records left for a retry: reported in batchItemFailures, or in a crashed batch
    crashed: int = 0  # invocations that raised: their whole batch is retried
    idle: bool = False  # run_until_idle: the queue drained (nothing visible or in flight)
    seconds: float = 0.0

    def add(self, other: PollStats) -> None:
        for name in ("invocations", "received", "succeeded", "failed", "crashed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _message_attributes(raw: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in raw.items():
        out[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
    return out


def container_handler(instance: int) -> Handler:
    """The landing Lambda's handler as one container runs it.

    On Lambda, ``log_metrics`` prints and clears the invocation's metrics. Locally the runtime
    sets POWERTOOLS_METRICS_DISABLED, and Powertools then neither prints nor clears them: they
    pile up in its process-wide store for as long as the poller runs. Cleared after every
    invocation here, as a flush would.
    """
    module = load_handler_module(instance=instance)

    def invoke(event: dict[str, Any], context: Any) -> Any:
        try:
            return module.handler(event, context)
        finally:
            module.metrics.clear_metrics()

    return invoke


class EventSourceMapping:
    """Polls ``queue_url`` and invokes ``handler(event, context)`` like Lambda's SQS integration."""

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        sqs: Any,
        queue_url: str,
        batch_size: int = 10,
        function_name: str = "on-landing-object",
        function_timeout_s: float = 30.0,
        retry_delay_s: int = 1,
        concurrency: int = 1,
        handler_factory: Callable[[int], Handler] | None = None,
    ) -> None:
        if handler is None and handler_factory is None:
            handler_factory = container_handler
        self.handlers: list[Handler] = (
            [handler] * concurrency
            if handler is not None
            else [handler_factory(i) for i in range(concurrency)]  # type: ignore[misc]
        )
        self.sqs, self.queue_url = sqs, queue_url
        self.batch_size = batch_size
        self.function_name = function_name
        self.function_timeout_s = function_timeout_s
        self.retry_delay_s = retry_delay_s
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.queue_arn = attrs["QueueArn"]
        self.region = self.queue_arn.split(":")[3]
        self._lock = threading.Lock()

    # --- one invocation ----------------------------------------------------------------------
    def _receive(self, wait_time_s: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=wait_time_s if not messages else 0,
            )
            batch = response.get("Messages", [])
            if not batch:
                break
            messages += batch
        return messages

    def to_lambda_event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The event Lambda passes for these SQS messages."""
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": dict(m.get("Attributes", {})),
                    "messageAttributes": _message_attributes(m.get("MessageAttributes", {})),
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": self.region,
                }
                for m in messages
            ]
        }

    def poll_once(self, *, wait_time_s: int = 0, worker: int = 0) -> PollStats:
        """Receive up to one batch and invoke the handler once; settle the messages."""
        stats = PollStats()
        messages = self._receive(wait_time_s)
        if not messages:
            return stats
        stats.invocations, stats.received = 1, len(messages)
        event = self.to_lambda_event(messages)
        context = LambdaContext(
            function_name=self.function_name, timeout_s=self.function_timeout_s, region=self.region
        )
        try:
            response = self.handlers[worker](event, context) or {}
            failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except (Exception, SystemExit):  # an invocation error or a crash: the whole batch retries
            stats.crashed = 1
            failed_ids = {m["MessageId"] for m in messages}
        succeeded = [m for m in messages if m["MessageId"] not in failed_ids]
        failed = [m for m in messages if m["MessageId"] in failed_ids]
        for start in range(0, len(succeeded), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(succeeded[start : start + 10])
                ],
            )
        for start in range(0, len(failed), 10):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": self.retry_delay_s,
                    }
                    for i, m in enumerate(failed[start : start + 10])
                ],
            )
        stats.succeeded, stats.failed = len(succeeded), len(failed)
        return stats

    # --- until the queue is drained ---------------------------------------------------------
    def queue_depth(self) -> tuple[int, int]:
        """(visible, in flight) messages, as SQS approximates them."""
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def run_until_idle(
        self, timeout: float = 60.0, *, poll_interval_s: float = 0.2, settle_s: float = 0.5
    ) -> PollStats:
        """Poll with ``concurrency`` workers until nothing has been visible or in flight (retries
        included) for ``settle_s`` seconds (events may still be on their way from EventBridge),
        or until ``timeout`` seconds; ``stats.idle`` says which."""
        total = PollStats()
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        done = threading.Event()

        def worker(index: int) -> None:
            idle_since: float | None = None
            while not done.is_set() and time.monotonic() < deadline:
                stats = self.poll_once(worker=index)
                with self._lock:
                    total.add(stats)
                if stats.invocations:
                    idle_since = None
                    continue
                if index == 0 and self.queue_depth() == (0, 0):
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since >= settle_s:
                        done.set()
                        return
                else:
                    idle_since = None
                time.sleep(poll_interval_s)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(self.handlers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total.idle = done.is_set()
        total.seconds = time.monotonic() - started
        return total


def landing_mapping(settings: Any, *, session: Any = None, **options: Any) -> EventSourceMapping:
    """The mapping of the landing queue (``resources.LANDING_EVENTS``) to the landing Lambda."""
    from gladiator import resources

    sqs = settings.client("sqs", session)
    url = sqs.get_queue_url(QueueName=settings.queue_name(resources.LANDING_EVENTS.logical))["QueueUrl"]
    return EventSourceMapping(sqs=sqs, queue_url=url, **options)


# --- a private copy of the ingestion resources (tests, benchmark, LocalStack) ----------------
@dataclass
class IngestionSandbox:
    """Landing + quarantine buckets, ledger/job-state/idempotency tables, the landing queue with
    its DLQ and the EventBridge rule, named by ``settings.naming`` (a unique prefix isolates a
    test on the shared emulator). Built with the same provisioner code as ``gladiator local up``."""

    settings: Any
    session: Any
    queue_url: str
    dlq_url: str

    def client(self, service: str) -> Any:
        return self.settings.client(service, self.session)

    def mapping(self, **options: Any) -> EventSourceMapping:
        return EventSourceMapping(sqs=self.client("sqs"), queue_url=self.queue_url, **options)

    def delete(self) -> None:
        """Remove everything (best effort: the emulator may already be gone)."""
        from gladiator import resources

        settings = self.settings
        events, sqs, dynamodb, s3 = (self.client(n) for n in ("events", "sqs", "dynamodb", "s3"))
        rule = settings.naming.physical(resources.LANDING_OBJECT_CREATED.logical)
        steps: list[Callable[[], object]] = [
            lambda: events.remove_targets(Rule=rule, Ids=["queue"]),
            lambda: events.delete_rule(Name=rule),
            lambda: sqs.delete_queue(QueueUrl=self.queue_url),
            lambda: sqs.delete_queue(QueueUrl=self.dlq_url),
        ]
        for table in _TABLES():
            steps.append(functools.partial(dynamodb.delete_table, TableName=settings.table_name(table)))
        for bucket in (settings.landing_bucket, settings.quarantine_bucket):
            steps.append(functools.partial(_delete_bucket, s3, bucket))
        for step in steps:
            with contextlib.suppress(Exception):  # cleanup must not mask the test's outcome
                step()


def _TABLES() -> tuple[Any, ...]:
    from gladiator import resources

    return (resources.LEDGER, resources.JOB_STATE, resources.IDEMPOTENCY)


def _delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(objects), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects[start : start + 1000], "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def provision_ingestion(settings: Any, *, session: Any = None) -> IngestionSandbox:
    """Create the ingestion resources of ``settings`` (idempotent) and return handles to them."""
    import boto3

    from gladiator import resources
    from local_emulation import provision

    session = session or boto3.Session()
    s3, dynamodb, sqs, events = (settings.client(n, session) for n in ("s3", "dynamodb", "sqs", "events"))
    for spec in (resources.LANDING, resources.QUARANTINE):
        provision.ensure_bucket(s3, settings.naming.physical(spec.logical), spec, settings.region)
    for table in _TABLES():
        provision.ensure_table(dynamodb, settings.table_name(table), table)
    _created, queue_arn = provision.ensure_queue(sqs, settings, resources.LANDING_EVENTS)
    provision.ensure_rule(events, settings, resources.LANDING_OBJECT_CREATED, queue_arn)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name(resources.LANDING_EVENTS.logical))["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=settings.queue_name(resources.LANDING_EVENTS.dlq_logical))[
        "QueueUrl"
    ]
    return IngestionSandbox(settings=settings, session=session, queue_url=queue_url, dlq_url=dlq_url)
