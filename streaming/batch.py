"""One micro-batch of order events -> bronze, dead letters (Delta + DLQ topic), silver, live KPIs.

Called by ``foreachBatch`` with the batch id. Every effect is idempotent on the batch id, so a
batch replayed after a crash (Structured Streaming re-runs the last uncommitted batch with the
same offsets and dedupe state) changes nothing twice:

- bronze ``order_events`` and ``dead_letter/<stream>``: Delta append with txnAppId/txnVersion;
- silver ``orders``/``lineitem``: guarded MERGE (newer ``updated_at`` wins) with the DML txn ids;
- DLQ topic: one Kafka transaction per batch with a committed-offset marker (dead_letters.py);
- DynamoDB KPIs: conditional read-modify-write on ``last_batch`` (kpis.py).

Validation uses the batch code (``gladiator.transforms.silver.cast_to_contract``) on the
contract columns carried by the event; an order event is atomic: if the order or any line fails,
the whole event is dead-lettered with the first reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from gladiator import lake
from gladiator.contracts import Contract, ReasonCode
from gladiator.contracts.types import spark_type
from gladiator.order_events import LINEITEM, ORDERS, STATUS_COLUMNS, EventType, StreamReason, status_contract
from gladiator.transforms.silver import REASON, REASON_DETAIL, cast_to_contract, silver_schema
from streaming import delta_io, kpis
from streaming.config import StreamConfig, StreamPaths
from streaming.dead_letters import DeadLetterPublisher
from streaming.plan import ENVELOPE_REASON, EVENT

log = logging.getLogger(__name__)

DEAD_LETTER_COLUMNS = (
    "event_id", "event_type", "_kafka_key", "value", "_kafka_topic", "_kafka_partition", "_kafka_offset",
    "_kafka_timestamp", REASON, REASON_DETAIL,
)  # fmt: skip


@dataclass
class BatchOutcome:
    """What one micro-batch did (counts of records after event-id dedupe)."""

    batch_id: int
    records: int = 0
    orders_placed: int = 0
    lines: int = 0
    status_changes: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    dlq_published: int = 0
    kpi_written: int = 0
    kpi_skipped: int = 0
    seconds: float = 0.0


def _with_reason(checked: DataFrame) -> DataFrame:
    """silver.cast_to_contract's first-failure struct as ``_reason``/``_reason_detail``."""
    row = F.col(REASON + "_row")
    return checked.withColumn(REASON, row.getField("reason")).withColumn(
        REASON_DETAIL, row.getField("detail")
    )


def _raw_columns(struct: str, contract: Contract) -> list[Any]:
    return [F.col(f"{struct}.{c}").alias(c) for c in contract.column_names]


def _typed(contract: Contract) -> list[Any]:
    return [F.col(c.name).cast(spark_type(c)).alias(c.name) for c in contract.columns]


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
        self._cached: list[DataFrame] = []
        self._t = 0.0

    def _step(self, batch_id: int, step: str) -> None:
        now = time.monotonic()
        log.info(
            "stream %s batch %d: %s done in %.1f s", self.config.stream_name, batch_id, step, now - self._t
        )
        self._t = now
        self.fail_after(batch_id, step)

    def _cache(self, df: DataFrame) -> DataFrame:
        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self._cached.append(df)
        return df

    # -- validation -------------------------------------------------------------------------
    def _placed(self, events: DataFrame) -> tuple[DataFrame, DataFrame, DataFrame]:
        """(valid typed orders, valid typed lines, invalid events with reason) of order_placed."""
        placed = events.where(F.col(f"{EVENT}.event_type") == str(EventType.ORDER_PLACED))
        orders = _with_reason(
            cast_to_contract(
                placed.select("event_id", F.col(f"{EVENT}.order_key").alias("_order_key"),
                              F.size(F.col(f"{EVENT}.lines")).alias("_line_count"),
                              *_raw_columns(f"{EVENT}.order", ORDERS)),
                ORDERS,
            )
        )  # fmt: skip
        structural = F.when(F.col("_line_count") <= 0, F.lit(str(ReasonCode.MALFORMED_RECORD))).when(
            F.col("o_orderkey") != F.col("_order_key").cast("bigint"), F.lit(str(StreamReason.KEY_MISMATCH))
        )
        orders = orders.withColumn(
            "_event_reason",
            F.coalesce(
                F.when(structural.isNotNull(), F.struct(structural.alias("reason"),
                       F.lit("order_placed needs lines and one order key").alias("detail"))),
                F.col(REASON + "_row"),
            ),
        )  # fmt: skip
        exploded = placed.select(
            "event_id",
            F.col(f"{EVENT}.order.o_orderkey").alias("_o_orderkey"),
            F.col(f"{EVENT}.order.o_orderdate").alias("_o_orderdate"),
            F.posexplode(F.col(f"{EVENT}.lines")).alias("_pos", "_line"),
        )
        lines = _with_reason(
            cast_to_contract(
                exploded.select("event_id", "_pos", "_o_orderkey", "_o_orderdate",
                                *_raw_columns("_line", LINEITEM)),
                LINEITEM,
            )
        )  # fmt: skip
        # The order is in the same event: cross rules (l_shipdate > o_orderdate) and the key link.
        order_date = F.expr("try_cast(trim(_o_orderdate) AS date)")
        line_checks = [(F.col(REASON + "_row").isNotNull(), F.col(REASON + "_row"))]
        line_checks.append(
            (
                F.col("l_orderkey") != F.col("_o_orderkey").cast("bigint"),
                F.struct(F.lit(str(StreamReason.KEY_MISMATCH)).alias("reason"),
                         F.lit("line l_orderkey differs from the order's o_orderkey").alias("detail")),
            )
        )  # fmt: skip
        lines = lines.withColumn("o_orderdate", order_date)
        for rule in LINEITEM.cross_rules:
            failed = F.coalesce(~F.expr(rule.predicate), F.lit(False))
            detail = F.lit(f"rule {rule.name} failed: {rule.predicate}")
            line_checks.append(
                (failed, F.struct(F.lit(str(rule.reason)).alias("reason"), detail.alias("detail")))
            )
        first: Any = None
        for cond, value in line_checks:
            first = F.when(cond, value) if first is None else first.when(cond, value)
        # Materialise the verdicts once: later steps then plan against cached rows, not the
        # contract's long CASE WHEN chains again.
        lines = self._cache(
            lines.withColumn("_line_reason", first).select(
                "event_id", "_pos", "_line_reason", *LINEITEM.column_names
            )
        )
        orders = self._cache(orders.select("event_id", "_event_reason", *ORDERS.column_names))
        line_failures = (
            lines.where(F.col("_line_reason").isNotNull())
            .groupBy("event_id")
            .agg(F.min_by("_line_reason", "_pos").alias("_first_line_reason"))
        )
        verdict = orders.join(line_failures, "event_id", "left").withColumn(
            "_verdict", F.coalesce("_event_reason", "_first_line_reason")
        )
        bad = verdict.where(F.col("_verdict").isNotNull()).select(
            "event_id", F.col("_verdict.reason").alias(REASON), F.col("_verdict.detail").alias(REASON_DETAIL)
        )
        good = verdict.where(F.col("_verdict").isNull())
        good_orders = good.select(*_typed(ORDERS))
        good_lines = lines.join(good.select("event_id"), "event_id", "left_semi").select(*_typed(LINEITEM))
        return good_orders, good_lines, bad

    def _status(self, events: DataFrame) -> tuple[DataFrame, DataFrame]:
        """(valid typed status changes, invalid events with reason) of order_status_changed."""
        contract = self.status_contract
        changes = events.where(F.col(f"{EVENT}.event_type") == str(EventType.ORDER_STATUS_CHANGED))
        checked = _with_reason(
            cast_to_contract(
                changes.select("event_id", F.col(f"{EVENT}.order_key").alias("_order_key"),
                               *_raw_columns(f"{EVENT}.status", contract)),
                contract,
            )
        )  # fmt: skip
        reason = F.when(
            F.col("o_orderkey") != F.col("_order_key").cast("bigint"), F.lit(str(StreamReason.KEY_MISMATCH))
        ).otherwise(F.col(REASON))
        checked = self._cache(
            checked.withColumn(REASON, reason).select(
                "event_id", REASON, REASON_DETAIL, *contract.column_names
            )
        )
        bad = checked.where(F.col(REASON).isNotNull()).select("event_id", REASON, REASON_DETAIL)
        good = checked.where(F.col(REASON).isNull()).select(*_typed(contract))
        return good, bad

    # -- the batch ----------------------------------------------------------------------------
    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        started = dt.datetime.now(dt.UTC)
        outcome = BatchOutcome(batch_id=batch_id)
        batch.sparkSession.conf.set("spark.sql.constraintPropagation.enabled", "false")
        batch = batch.persist(StorageLevel.MEMORY_AND_DISK)
        self._cached = [batch]
        self._t = time.monotonic()
        try:
            outcome.records = batch.count()
            self._step(batch_id, "read")
            if outcome.records == 0:
                return
            app_id = self.config.stream_name
            tag = f"stream:{self.config.stream_name}:{batch_id}"
            ingested_at = F.lit(started.replace(tzinfo=None)).cast("timestamp")
            metadata = [
                F.lit(tag).alias("_batch_id"),
                ingested_at.alias("_ingested_at"),
                F.lit("stream").alias("_source"),
            ]

            events = batch.select("*", F.col(f"{EVENT}.event_id").alias("event_id"),
                                  F.col(f"{EVENT}.event_type").alias("event_type"))  # fmt: skip
            bronze = events.select(
                "event_id", "event_type", F.col(f"{EVENT}.event_version").alias("event_version"),
                F.col(f"{EVENT}.produced_at").alias("produced_at"), F.col(f"{EVENT}.order_key").alias("order_key"),
                "value", F.concat(F.lit("kafka://"), F.concat_ws("/", "_kafka_topic", "_kafka_partition",
                                  "_kafka_offset")).alias("_source_file"),
                F.lit(None).cast("int").alias("_source_line"), "_kafka_topic", "_kafka_partition",
                "_kafka_offset", "_kafka_timestamp", F.col(ENVELOPE_REASON).alias("_envelope_reason"), *metadata,
            )  # fmt: skip
            lake.idempotent_append(bronze, self.paths.bronze_events, app_id=app_id, version=batch_id)
            self._step(batch_id, "bronze")

            usable = events.where(F.col(ENVELOPE_REASON).isNull())
            orders, lines, bad_placed = self._placed(usable)
            changes, bad_status = self._status(usable)
            dead = self._dead_letters(events, bad_placed, bad_status)
            dead = self._cache(dead.select(*DEAD_LETTER_COLUMNS, *metadata))
            dead_rows = dead.collect()
            self._step(batch_id, "validate")
            outcome.dead_letters = Counter(r[REASON] for r in dead_rows)
            if dead_rows:
                lake.idempotent_append(dead, self.paths.dead_letter, app_id=app_id, version=batch_id)
            self._step(batch_id, "dead_letter")
            outcome.dlq_published = self.publisher.publish(
                batch_id,
                [
                    {"key": r["_kafka_key"], "reason": r[REASON], "detail": r[REASON_DETAIL],
                     "event_id": r["event_id"], "value": r["value"],
                     "source": f"{r['_kafka_topic']}/{r['_kafka_partition']}/{r['_kafka_offset']}"}
                    for r in dead_rows
                ],
            )  # fmt: skip
            self._step(batch_id, "dlq")

            orders, lines, changes = self._cache(orders), self._cache(lines), self._cache(changes)
            outcome.orders_placed, outcome.lines, outcome.status_changes = (
                orders.count(),
                lines.count(),
                changes.count(),
            )
            self._merge_silver(orders, lines, changes, metadata, batch_id)
            self._step(batch_id, "silver")

            totals = kpis.window_totals(kpis.order_totals(orders, lines, self.customer_regions))
            outcome.kpi_written, outcome.kpi_skipped = kpis.apply_contributions(
                self.dynamodb, self.kpi_table, kpis.collect_contributions(totals),
                prefix=self.config.kpi_prefix, stream_name=self.config.stream_name, batch_id=batch_id,
                ttl_days=self.config.kpi_ttl_days,
            )  # fmt: skip
            self._step(batch_id, "kpis")
        finally:
            for df in self._cached:
                df.unpersist()
            self._cached = []
        outcome.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        log.info("stream %s batch %d: %s", self.config.stream_name, batch_id, outcome)
        if self.on_batch:
            self.on_batch(outcome)

    def _dead_letters(self, events: DataFrame, bad_placed: DataFrame, bad_status: DataFrame) -> DataFrame:
        """The dead-letter rows: the record as received plus its reason."""
        usable = events.where(F.col(ENVELOPE_REASON).isNull())
        by_event = bad_placed.unionByName(bad_status)
        content_bad = usable.join(by_event, "event_id", "inner")
        raw_bad = events.where(F.col(ENVELOPE_REASON).isNotNull()).select(
            "*", F.col(ENVELOPE_REASON).alias(REASON),
            F.concat(F.lit("envelope check failed: "), F.col(ENVELOPE_REASON)).alias(REASON_DETAIL),
        )  # fmt: skip
        return raw_bad.unionByName(content_bad, allowMissingColumns=True)

    def _merge_silver(
        self, orders: DataFrame, lines: DataFrame, changes: DataFrame, metadata: list[Any], batch_id: int
    ) -> None:
        app_id = self.config.stream_name

        def newest(df: DataFrame, keys: list[str]) -> DataFrame:
            w = Window.partitionBy(*keys).orderBy(F.col(ORDERS.version_column).desc())
            return df.withColumn("__n", F.row_number().over(w)).where("__n = 1").drop("__n")

        def silver_rows(df: DataFrame, contract: Contract) -> DataFrame:
            parts = [F.expr(p.expression).cast(p.type).alias(p.name) for p in contract.partition_by]
            return df.select(*contract.column_names, *parts, *metadata)

        for contract, rows, path in (
            (ORDERS, orders, self.paths.silver_orders),
            (LINEITEM, lines, self.paths.silver_lineitem),
        ):
            parts = [p.name for p in contract.partition_by]
            lake.create_empty_table(rows.sparkSession, path, silver_schema(contract), partition_by=parts)
            lake.merge_latest(
                silver_rows(newest(rows, list(contract.primary_key)), contract), path,
                keys=contract.primary_key, version_column=contract.version_column, app_id=app_id,
                version=batch_id, partition_by=parts,
            )  # fmt: skip
            self._step(batch_id, f"silver_{contract.name}")
        # Status changes touch two columns of an order already in silver; an older change, or one
        # for an order silver does not hold, changes nothing (counted in the run's totals).
        delta_io.merge_newer_wins(
            changes.sparkSession, self.paths.silver_orders,
            newest(changes, ["o_orderkey"]).select(*STATUS_COLUMNS, *metadata),
            keys=["o_orderkey"], version_column=ORDERS.version_column, app_id=f"{app_id}-status",
            version=batch_id, update_columns=[*STATUS_COLUMNS[1:], "_batch_id", "_ingested_at", "_source"],
            insert=False,
        )  # fmt: skip
