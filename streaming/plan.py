"""The streaming half of the job: Kafka records -> parsed events -> deduplicated on event_id.

Everything here is stateless except the final ``dropDuplicatesWithinWatermark``. The envelope
checks are evaluated like the contract checks, in order, by ``gladiator.transforms.silver.first_failure``
(``_envelope_reason`` is the first failing check's reason). Records that
cannot take part in event-id dedupe (malformed JSON, a broken envelope, late or future events)
get a unique key (their Kafka coordinates) and the broker time, so they pass through the dedupe
untouched and reach the dead-letter writer instead of being dropped by the watermark.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gladiator.contracts import ReasonCode
from gladiator.order_events import SUPPORTED_VERSIONS, EventType, StreamReason, raw_event_schema
from gladiator.transforms.silver import Check, first_failure
from streaming.config import StreamConfig

EVENT = "ev"
ENVELOPE_REASON = "_envelope_reason"
EVENT_TIME = "_event_time"
DEDUPE_KEY = "_dedupe_key"


def kafka_records(raw: DataFrame) -> DataFrame:
    """Spark's Kafka columns, renamed for the lake (value as UTF-8 text)."""
    return raw.select(
        F.col("key").cast("string").alias("_kafka_key"),
        F.col("value").cast("string").alias("value"),
        F.col("topic").alias("_kafka_topic"),
        F.col("partition").alias("_kafka_partition"),
        F.col("offset").alias("_kafka_offset"),
        F.col("timestamp").alias("_kafka_timestamp"),
    )


def parse_events(records: DataFrame, config: StreamConfig) -> DataFrame:
    """Parse each record and classify its envelope (``_envelope_reason`` NULL = usable event)."""
    ev = F.col(EVENT)
    produced = F.to_timestamp(ev["produced_at"])
    parsed = records.withColumn(
        EVENT, F.from_json("value", raw_event_schema(), {"columnNameOfCorruptRecord": "_corrupt_record"})
    ).withColumn("_produced_at", produced)
    lateness = F.col("_kafka_timestamp") - F.expr(f"INTERVAL {config.allowed_lateness_s} SECONDS")
    skew = F.col("_kafka_timestamp") + F.expr(f"INTERVAL {config.max_clock_skew_s} SECONDS")
    checks: list[Check] = [
        (F.col("value").isNull() | ev["_corrupt_record"].isNotNull(), ReasonCode.MALFORMED_JSON, F.lit("")),
        (
            ev["event_id"].isNull() | F.col("_produced_at").isNull() | ev["order_key"].isNull(),
            StreamReason.MISSING_ENVELOPE,
            F.lit(""),
        ),
        (~ev["event_type"].isin([str(t) for t in EventType]), StreamReason.UNKNOWN_EVENT_TYPE, F.lit("")),
        (
            ~F.coalesce(ev["event_version"].cast("int").isin(sorted(SUPPORTED_VERSIONS)), F.lit(False)),
            StreamReason.UNSUPPORTED_VERSION,
            F.lit(""),
        ),
        (F.col("_produced_at") < lateness, StreamReason.LATE_EVENT, F.lit("")),
        (F.col("_produced_at") > skew, StreamReason.FUTURE_EVENT, F.lit("")),
    ]
    reason = first_failure(checks).getField("reason")
    coordinates = F.concat_ws("/", "_kafka_topic", "_kafka_partition", "_kafka_offset")
    return (
        parsed.withColumn(ENVELOPE_REASON, reason)
        .withColumn(
            DEDUPE_KEY, F.when(F.col(ENVELOPE_REASON).isNull(), ev["event_id"]).otherwise(coordinates)
        )
        .withColumn(
            EVENT_TIME,
            F.when(F.col(ENVELOPE_REASON).isNull(), F.col("_produced_at")).otherwise(
                F.col("_kafka_timestamp")
            ),
        )
    )


def deduplicated(events: DataFrame, config: StreamConfig) -> DataFrame:
    """Drop repeated event ids within the dedupe horizon (state kept in the checkpoint)."""
    return events.withWatermark(
        EVENT_TIME, f"{config.dedupe_horizon_s} seconds"
    ).dropDuplicatesWithinWatermark([DEDUPE_KEY])


def order_events(spark_reader_df: DataFrame, config: StreamConfig) -> DataFrame:
    """The whole streaming plan from Spark's Kafka source to deduplicated, classified events."""
    return deduplicated(parse_events(kafka_records(spark_reader_df), config), config)
