"""One micro-batch of order events -> bronze, dead letters (Delta + DLQ topic), quality, live KPIs, silver.

Called by ``foreachBatch`` with the batch id. Every effect is idempotent on the batch id, so a
batch replayed after a crash (Structured Streaming re-runs the last uncommitted batch with the
same offsets and dedupe state) changes nothing twice:

- bronze ``order_events`` and ``dead_letter/<stream>``: ``lake.append_with_txn`` (txnAppId =
  stream name, txnVersion = batch id);
- DLQ topic: one Kafka transaction per batch with a committed-offset marker (dead_letters.py);
- quality results: items keyed by the run id ``stream-<stream>-<batchId>`` (observe.py);
- DynamoDB KPIs: conditional read-modify-write on ``last_batch`` (kpis.py), written BEFORE
  silver so the live panel does not wait for the lake;
- silver ``orders``/``lineitem``: new keys appended, keys already there merged with the
  ordering guard, status changes folded into the orders (streaming/silver.py).

The step timers (``_step``, logged at INFO and kept in ``BatchOutcome.step_seconds``) cover the
whole batch: each step ends where the next begins, and the Spark jobs a step needs (caches are
lazy) run inside it.

Validation (``streaming/validation.py``) is the batch code, ``gladiator.transforms.silver``, plus
the event's own checks; an order event is atomic. Rows reach silver in ``silver.silver_rows``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, Row
from pyspark.sql import functions as F

from gladiator import lake
from gladiator.lineage.emit import Lineage, make_client
from gladiator.order_events import LINEITEM, ORDERS, EventType, status_contract
from gladiator.quality import QualityStore
from gladiator.transforms.bronze import BATCH_ID, INGESTED_AT, SOURCE
from gladiator.transforms.silver import REASON, REASON_DETAIL, RULE
from streaming import kpis, observe, validation
from streaming.config import StreamConfig, StreamPaths
from streaming.dead_letters import DeadLetterPublisher
from streaming.plan import ENVELOPE_REASON
from streaming.silver import SilverWriter

log = logging.getLogger(__name__)

DEAD_LETTER_COLUMNS = (
    "event_id", "event_type", "_kafka_key", "value", "_kafka_topic", "_kafka_partition", "_kafka_offset",
    "_kafka_timestamp", REASON, REASON_DETAIL,
)  # fmt: skip


@dataclass(kw_only=True)
class EventCounts:
    """What became of the stream's records (counted after event-id dedupe): one micro-batch's, or
    a run's total (``add``)."""

    records: int = 0
    orders_placed: int = 0
    lines: int = 0
    status_changes: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    dlq_published: int = 0
    kpi_written: int = 0

    def add(self, other: EventCounts) -> None:
        """Add ``other``'s counts to these."""
        for name in ("records", "orders_placed", "lines", "status_changes", "dlq_published", "kpi_written"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.dead_letters.update(other.dead_letters)


@dataclass(kw_only=True)
class BatchOutcome(EventCounts):
    """What one micro-batch did."""

    batch_id: int
    kpi_skipped: int = 0
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)  # step -> seconds, in order
    step_jobs: dict[str, int] = field(default_factory=dict)  # step -> Spark jobs it ran (-1: unknown)


def _dlq_record(row: Row) -> dict[str, Any]:
    return {
        "key": row["_kafka_key"], "reason": row[REASON], "detail": row[REASON_DETAIL],
        "event_id": row["event_id"], "value": row["value"],
        "source": f"{row['_kafka_topic']}/{row['_kafka_partition']}/{row['_kafka_offset']}",
    }  # fmt: skip


def batch_frame(like: DataFrame, rows: list[tuple[Any, ...]], schema: str) -> DataFrame:
    """A small frame of driver-side ``rows`` in ``like``'s session (no Spark job to build it)."""
    return like.sparkSession.createDataFrame(rows, schema)


@dataclass
class _Valid:
    """The batch's checked content, typed (cached by the writer), and each entity's tally."""

    orders: DataFrame
    lines: DataFrame
    changes: DataFrame
    checks: list[observe.EntityCheck]


class BatchWriter:
    """The ``foreachBatch`` function of one stream (holds its clients between batches)."""

    def __init__(
        self,
        *,
        config: StreamConfig,
        paths: StreamPaths,
        dynamodb: Any,
        kpi_table: str,
        publisher: DeadLetterPublisher,
        customer_regions: DataFrame | None,
        on_batch: Callable[[BatchOutcome], None] | None = None,
        fail_after: Callable[[int, str], None] | None = None,
        quality: QualityStore | None = None,
        lineage: Lineage | None = None,
        topic_uri: str = "",
    ) -> None:
        self.config = config
        self.paths = paths
        self.dynamodb = dynamodb
        self.kpi_table = kpi_table
        self.publisher = publisher
        self.customer_regions = customer_regions
        self.on_batch = on_batch
        # Test hook: called after each step with (batch_id, step); raising simulates a crash there.
        self.fail_after = fail_after or (lambda _b, _s: None)
        self.status_contract = status_contract()
        self.silver = SilverWriter(config.stream_name, paths.silver_orders, paths.silver_lineitem)
        self.quality = observe.BatchQuality(quality)
        self.lineage = lineage or Lineage(make_client())
        self.topic_uri = topic_uri or f"kafka://{config.topic}"
        self._cached: list[DataFrame] = []
        self._t = 0.0
        self._jobs = -1
        self._spark: Any = None
        self.step_seconds: dict[str, float] = {}
        self.step_jobs: dict[str, int] = {}

    def _step(self, batch_id: int, step: str) -> None:
        """End the timer of ``step`` (it started when the previous step ended): every Spark job a
        step triggers runs inside it, so the step times of a batch add up to its wall time."""
        now = time.monotonic()
        jobs = self._job_counter()
        self.step_seconds[step] = round(now - self._t, 3)
        self.step_jobs[step] = jobs - self._jobs if jobs >= 0 and self._jobs >= 0 else -1
        log.info(
            "stream %s batch %d: %s done in %.1f s (%d Spark jobs)",
            self.config.stream_name, batch_id, step, now - self._t, self.step_jobs[step],
        )  # fmt: skip
        self._t, self._jobs = now, jobs
        self.fail_after(batch_id, step)

    def _cache(self, df: DataFrame) -> DataFrame:
        """``df`` computed now and kept (memory, then disk) with its plan cut off.

        A local checkpoint, not ``persist``: the contract checks are long CASE WHEN chains, and
        every later query on a persisted frame still carries them in its plan, which Spark
        analyses and compares with each cached plan before it finds the cache (measured: 30-70 s
        of driver time per step at 30k events under load). Here later plans start at the rows."""
        kept = df.localCheckpoint(eager=True)
        self._cached.append(kept)
        return kept

    def _job_counter(self) -> int:
        """The id the next Spark job of this JVM will get (-1 if unknown): the difference between
        two readings is the number of jobs run in between (counted to find per-job overheads)."""
        if self._spark is None:
            return -1
        try:
            counter = self._spark.sparkContext._jsc.sc().dagScheduler().nextJobId()
            return counter if isinstance(counter, int) else int(counter.get())
        except Exception:  # an internal API: on another Spark build the count is just unknown
            return -1

    @staticmethod
    def _release(df: DataFrame) -> None:
        """Free a local checkpoint's blocks now rather than at the driver's next GC."""
        try:
            df._jdf.queryExecution().analyzed().rdd().unpersist(False)
        except Exception:  # not a checkpointed plan (or an internal API changed): left to the GC
            log.debug("could not release a micro-batch checkpoint", exc_info=True)

    # -- the batch ----------------------------------------------------------------------------
    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        started = dt.datetime.now(dt.UTC)
        outcome = BatchOutcome(batch_id=batch_id)
        batch.sparkSession.conf.set("spark.sql.constraintPropagation.enabled", "false")
        self._cached = []
        self._spark = batch.sparkSession
        self._t, self._jobs = time.monotonic(), self._job_counter()
        self.step_seconds, self.step_jobs = {}, {}
        try:
            with self.lineage.run(f"stream.{self.config.stream_name}",
                                  batch_id=observe.run_id(self.config.stream_name, batch_id)) as run:  # fmt: skip
                if not self._process(self._cache(batch), batch_id, started, outcome):
                    return
                observe.describe_run(run, topic_uri=self.topic_uri, results=self.quality.results,
                                     outputs=self._outputs(outcome))  # fmt: skip
        finally:
            for df in self._cached:
                self._release(df)
            self._cached = []
        outcome.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        outcome.step_seconds = dict(self.step_seconds)
        outcome.step_jobs = dict(self.step_jobs)
        log.info("stream %s batch %d: %s", self.config.stream_name, batch_id, outcome)
        if self.on_batch:
            self.on_batch(outcome)

    def _outputs(self, outcome: BatchOutcome) -> dict[str, int | None]:
        return {
            self.paths.bronze_events: outcome.records,
            self.paths.silver_orders: outcome.orders_placed,
            self.paths.silver_lineitem: outcome.lines,
            self.paths.dead_letter: sum(outcome.dead_letters.values()),
        }

    def _process(self, batch: DataFrame, batch_id: int, started: dt.datetime, outcome: BatchOutcome) -> bool:
        """Bronze, validation, dead letters, quality, KPIs, silver, in that order (False: empty
        batch). The KPIs come before silver so the live panel does not wait for the MERGEs."""
        # One job: the records and how many failed their envelope (if none, and no content check
        # fails, the dead-letter pass is skipped).
        usable = F.col(ENVELOPE_REASON).isNull().alias("usable")
        by_envelope = {r["usable"]: int(r["count"]) for r in batch.groupBy(usable).count().collect()}
        outcome.records = sum(by_envelope.values())
        self._step(batch_id, "read")
        if outcome.records == 0:
            return False
        metadata = self._metadata(batch_id, started)
        events = validation.events_of(batch)
        # Two files per micro-batch (one per core), written where the rows are: bronze rows
        # carry the raw event (~2 KB), and Delta's optimized write would shuffle them all first.
        lake.append_with_txn(
            validation.bronze_rows(events, metadata).coalesce(2),
            self.paths.bronze_events,
            app_id=self.config.stream_name,
            version=batch_id,
            options={"optimizeWrite": "false"},
        )
        self._step(batch_id, "bronze")
        valid = self._validate(events, metadata, batch_id, outcome, envelope_failed=by_envelope.get(False, 0))
        accepted = {ORDERS.name: outcome.orders_placed, LINEITEM.name: outcome.lines}
        self.quality.record(observe.run_id(self.config.stream_name, batch_id), valid.checks, accepted)
        self._step(batch_id, "quality")
        totals = kpis.window_totals(kpis.order_totals(valid.orders, valid.lines, self.customer_regions))
        outcome.kpi_written, outcome.kpi_skipped = kpis.apply_contributions(
            self.dynamodb, self.kpi_table, kpis.collect_contributions(totals),
            prefix=self.config.kpi_prefix, stream_name=self.config.stream_name, batch_id=batch_id,
            ttl_days=self.config.kpi_ttl_days,
        )  # fmt: skip
        self._step(batch_id, "kpis")
        self.silver.write(
            valid.orders,
            valid.lines,
            valid.changes,
            metadata,
            batch_id,
            status_changes=outcome.status_changes,
        )
        self._step(batch_id, "silver")
        return True

    def _metadata(self, batch_id: int, started: dt.datetime) -> list[Column]:
        """The silver/dead-letter lineage columns of this batch's rows."""
        return [
            F.lit(f"stream:{self.config.stream_name}:{batch_id}").alias(BATCH_ID),
            F.lit(started.replace(tzinfo=None)).cast("timestamp").alias(INGESTED_AT),
            F.lit("stream").alias(SOURCE),
        ]

    # -- validation and dead letters ---------------------------------------------------------
    def _validate(
        self,
        events: DataFrame,
        metadata: list[Column],
        batch_id: int,
        outcome: BatchOutcome,
        *,
        envelope_failed: int,
    ) -> _Valid:
        """Split the usable events into valid content and dead letters (written), and count them.

        Three passes over the batch (orders, lines, status changes, each kept), then small jobs on
        those: the per-rule tallies, which also tell whether any event failed at all; the failing
        events, collected (few); the dead-letter rows. The valid frames are the kept ones minus the
        failing event ids (a literal set): they are not materialised again, and their counts
        follow from the tallies and the failures (``checked - failed``), with no count job."""
        usable = events.where(F.col(ENVELOPE_REASON).isNull())
        placed = validation.of_type(usable, EventType.ORDER_PLACED)
        # Materialise the verdicts once: later steps then plan against cached rows, not the
        # contract's long CASE WHEN chains again.
        lines = self._cache(
            validation.placed_lines(placed).select("event_id", "_pos", "_line_reason", *LINEITEM.column_names)
        )
        orders = self._cache(
            validation.placed_orders(placed).select(
                "event_id", "_event_reason", "_line_count", *ORDERS.column_names
            )
        )
        contract = self.status_contract
        status = self._cache(
            validation.checked_status_changes(
                validation.of_type(usable, EventType.ORDER_STATUS_CHANGED), contract
            ).select("event_id", REASON, REASON_DETAIL, RULE, *contract.column_names)
        )
        version = ORDERS.version_column
        checks = [
            observe.tally(ORDERS, orders, F.col("_event_reason.rule"), version),
            observe.tally(LINEITEM, lines, F.col("_line_reason.rule"), version),
            observe.tally(contract, status, F.col(RULE), version),
        ]
        self._step(batch_id, "validate")
        placed_failed = (
            validation.event_failures(orders, lines).collect()
            if checks[0].failed_by_rule or checks[1].failed_by_rule
            else []
        )
        status_failed = (
            status.where(F.col(REASON).isNotNull()).select("event_id", REASON, REASON_DETAIL).collect()
            if checks[2].failed_by_rule
            else []
        )
        failed = [(r["event_id"], r[REASON], r[REASON_DETAIL]) for r in [*placed_failed, *status_failed]]
        bad_events = batch_frame(events, failed, f"event_id string, {REASON} string, {REASON_DETAIL} string")
        dead = validation.dead_letter_rows(events, bad_events).select(*DEAD_LETTER_COLUMNS, *metadata)
        self._write_dead_letters(dead, batch_id, outcome, any_rows=bool(failed or envelope_failed))
        placed_ids = [r["event_id"] for r in placed_failed]
        outcome.orders_placed = checks[0].checked - len(placed_failed)
        outcome.lines = checks[1].checked - sum(int(r["_line_count"]) for r in placed_failed)
        outcome.status_changes = checks[2].checked - len(status_failed)
        return _Valid(
            validation.without_events(orders, placed_ids).select(*validation.typed(ORDERS)),
            validation.without_events(lines, placed_ids).select(*validation.typed(LINEITEM)),
            status.where(F.col(REASON).isNull()).select(*validation.typed(contract)),
            checks,
        )

    def _write_dead_letters(
        self, dead: DataFrame, batch_id: int, outcome: BatchOutcome, *, any_rows: bool = True
    ) -> None:
        """Dead letters to the Delta table, then to the DLQ topic (both idempotent on batch_id).
        The rows are collected once (few) and written from the driver: no second pass; no pass at
        all if no record failed (``any_rows`` False, known from the read and the tallies)."""
        dead_rows = dead.collect() if any_rows else []
        outcome.dead_letters = Counter(r[REASON] for r in dead_rows)
        self._step(batch_id, "dead_letter_rows")
        if dead_rows:
            lake.append_with_txn(
                dead.sparkSession.createDataFrame(dead_rows, dead.schema).coalesce(1),
                self.paths.dead_letter, app_id=self.config.stream_name, version=batch_id,
            )  # fmt: skip
        self._step(batch_id, "dead_letter")
        outcome.dlq_published = self.publisher.publish(batch_id, [_dlq_record(r) for r in dead_rows])
        self._step(batch_id, "dlq")
