"""Run the order stream: pre-flight checks, the Structured Streaming query, and its totals.

``run`` is the API the CLI, the Glue entry script and the end-to-end demo call; ``start`` returns
a handle for callers that stop and restart the query themselves (tests, benchmarks).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gladiator import lake, resources
from gladiator.config import Settings
from gladiator.errors import ConfigurationError
from gladiator.lineage.emit import Lineage
from gladiator.quality import QualityStore
from gladiator.spark import get_spark
from streaming import kafka, plan
from streaming.batch import BatchOutcome, BatchWriter, EventCounts
from streaming.config import StreamConfig, StreamPaths
from streaming.dead_letters import DeadLetterPublisher

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class StreamRunResult(EventCounts):
    """Totals of one run (records counted after event-id dedupe)."""

    batches: int = 0
    duplicates_dropped: int = 0  # Kafka records read minus records kept by the event-id dedupe
    dropped_by_watermark: int = 0  # Spark's late-row drops; 0 by construction (see StreamConfig)
    input_rows: int = 0  # Kafka records read, before dedupe
    seconds: float = 0.0

    def add(self, other: EventCounts) -> None:
        self.batches += 1
        super().add(other)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["dead_letters"] = dict(self.dead_letters)
        return out


def customer_regions(spark: SparkSession, paths: StreamPaths) -> DataFrame | None:
    """c_custkey -> r_name from silver customer/nation/region, or None if they are not loaded yet
    (KPIs then go to region UNKNOWN). Read once per query start: dimensions change slowly."""
    tables = {name: paths.table("silver", name) for name in ("customer", "nation", "region")}
    if not all(lake.table_exists(spark, path) for path in tables.values()):
        log.warning("silver customer/nation/region not found under %s: KPIs use region UNKNOWN", paths.root)
        return None
    read = {name: spark.read.format("delta").load(path) for name, path in tables.items()}
    joined = (
        read["customer"]
        .select("c_custkey", "c_nationkey")
        .join(
            read["nation"].select("n_nationkey", "n_regionkey"), F.col("c_nationkey") == F.col("n_nationkey")
        )
        .join(read["region"].select("r_regionkey", "r_name"), F.col("n_regionkey") == F.col("r_regionkey"))
        .select("c_custkey", "r_name")
    )
    return joined.cache()


class StreamHandle:
    """A running query plus the totals its batches report."""

    def __init__(self, query: Any, result: StreamRunResult, publisher: DeadLetterPublisher) -> None:
        self.query = query
        self.result = result
        self._publisher = publisher
        self._seen_progress: set[int] = set()
        self._started = time.monotonic()

    def _collect_progress(self) -> None:
        for progress in self.query.recentProgress:
            batch_id = progress.get("batchId")
            if batch_id is None or batch_id in self._seen_progress:
                continue
            self._seen_progress.add(batch_id)
            self.result.input_rows += int(progress.get("numInputRows", 0))
            for op in progress.get("stateOperators", []):
                self.result.dropped_by_watermark += int(op.get("numRowsDroppedByWatermark", 0))
                self.result.duplicates_dropped += int(
                    op.get("customMetrics", {}).get("numDroppedDuplicateRows", 0)
                )

    def wait_idle(self, timeout_s: float = 120.0) -> None:
        """Wait until no batch is running (so a stop does not interrupt one)."""
        deadline = time.monotonic() + timeout_s
        while (
            self.query.isActive and self.query.status.get("isTriggerActive") and time.monotonic() < deadline
        ):
            time.sleep(0.1)

    def stop(self, *, graceful: bool = True) -> StreamRunResult:
        """Stop the query (after the running batch if ``graceful``) and return the totals."""
        if graceful:
            self.wait_idle()
        self._collect_progress()
        self.query.stop()
        self._collect_progress()
        self.result.duplicates_dropped = max(0, self.result.input_rows - self.result.records)
        self._publisher.close()
        self.result.seconds = time.monotonic() - self._started
        return self.result

    def await_termination(self, timeout_s: float | None = None) -> bool:
        """Wait for the query to end; a failure is left for ``raise_if_failed`` (True if ended)."""
        from pyspark.errors import StreamingQueryException

        try:
            done = bool(
                self.query.awaitTermination(timeout_s) if timeout_s else self.query.awaitTermination()
            )
        except StreamingQueryException:
            done = True
        self._collect_progress()
        return done

    def raise_if_failed(self) -> None:
        exc = self.query.exception()
        if exc is not None:
            raise RuntimeError(f"stream {self.query.name} failed: {exc}")


def preflight(settings: Settings, config: StreamConfig) -> None:
    """Everything that can be checked before the query writes its checkpoint: the broker is
    reachable and the topic exists (the DLQ topic is created if missing: it is the job's output)."""
    kafka.check_topics(settings, [config.topic])
    kafka.ensure_topics(settings, [config.dead_letter_topic()], partitions=1)


def start(
    settings: Settings,
    config: StreamConfig,
    *,
    available_now: bool = False,
    spark: SparkSession | None = None,
    dynamodb: Any = None,
    on_batch: Callable[[BatchOutcome], None] | None = None,
    fail_after: Callable[[int, str], None] | None = None,
    lineage: Lineage | None = None,
) -> StreamHandle:
    """Check the configuration, then start the query; returns its handle. ``lineage`` receives
    the micro-batches' run events (default: ``Lineage.for_settings(settings)``)."""
    preflight(settings, config)
    spark = spark or get_spark(f"gladiator-stream-{config.stream_name}", settings=settings)
    # The contract checks are long CASE WHEN chains; Catalyst's constraint propagation is
    # exponential in them (minutes per batch). It only feeds filter inference, which we do not need.
    spark.conf.set("spark.sql.constraintPropagation.enabled", "false")
    paths = StreamPaths(config.root(settings), config.stream_name)
    result = StreamRunResult()
    publisher = DeadLetterPublisher(
        settings, topic=config.dead_letter_topic(), stream_name=config.stream_name
    )

    def record(outcome: BatchOutcome) -> None:
        result.add(outcome)
        if on_batch:
            on_batch(outcome)

    dynamodb = dynamodb or settings.client("dynamodb")
    writer = BatchWriter(
        config=config,
        paths=paths,
        dynamodb=dynamodb,
        kpi_table=config.kpi_table_name(settings),
        publisher=publisher,
        customer_regions=customer_regions(spark, paths),
        on_batch=record,
        fail_after=fail_after,
        quality=QualityStore(settings.table_name(resources.JOB_STATE), dynamodb),
        lineage=lineage or Lineage.for_settings(settings),
        topic_uri=f"kafka://{settings.kafka_bootstrap}/{config.topic}",
    )
    reader = (
        spark.readStream.format("kafka")
        .options(**kafka.spark_options(settings))
        .option("subscribe", config.topic)
        .option("startingOffsets", config.starting_offsets)
        .option("failOnDataLoss", "true")
    )
    if config.max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", str(config.max_offsets_per_trigger))
    events = plan.order_events(reader.load(), config)
    stream = (
        events.writeStream.queryName(f"orders-{config.stream_name}")
        .option("checkpointLocation", config.checkpoint_location(settings))
        .foreachBatch(writer)
    )
    stream = (
        stream.trigger(availableNow=True)
        if available_now
        else stream.trigger(processingTime=f"{config.trigger_seconds} seconds")
    )
    return StreamHandle(stream.start(), result, publisher)


def run(
    settings: Settings,
    config: StreamConfig,
    *,
    duration_s: float | None = None,
    available_now: bool = False,
    spark: SparkSession | None = None,
    **kwargs: Any,
) -> StreamRunResult:
    """Run the stream until everything available is processed (``available_now``) or for
    ``duration_s`` seconds (then stop after the running batch). Raises if the query fails."""
    if available_now == (duration_s is not None):
        raise ConfigurationError("give exactly one of duration_s or available_now")
    handle = start(settings, config, available_now=available_now, spark=spark, **kwargs)
    try:
        if available_now:
            handle.await_termination()
        else:
            stop_at = time.monotonic() + float(duration_s or 0)
            while handle.query.isActive and time.monotonic() < stop_at:
                time.sleep(0.5)
        handle.raise_if_failed()
    finally:
        result = handle.stop()
    return result
