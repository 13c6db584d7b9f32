"""The validation of a micro-batch's events as pure DataFrame functions (no writes, no state).

The batch code decides (``gladiator.transforms.silver``: ``cast_to_contract`` on the contract
columns carried by the event, ``rule_check``, ``first_failure``); here are only the event's own
checks (the envelope key, lines present) and the cross-entity rules, whose other side (the order)
is in the same event. An order event is atomic: if the order or any line fails, the whole event
is dead-lettered with the first reason (the order's, else its first failing line's by position).
``streaming.batch`` calls these in order and keeps their results.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gladiator.contracts import Contract, ReasonCode
from gladiator.contracts.types import spark_type
from gladiator.order_events import LINEITEM, ORDERS, EventType, StreamReason
from gladiator.transforms.bronze import SOURCE_FILE, SOURCE_LINE
from gladiator.transforms.silver import (
    REASON,
    REASON_DETAIL,
    ROW_REASON,
    Check,
    cast_to_contract,
    first_failure,
    rule_check,
    with_reason,
)
from streaming.plan import ENVELOPE_REASON, EVENT


def _raw_columns(struct: str, contract: Contract) -> list[Column]:
    return [F.col(f"{struct}.{c}").alias(c) for c in contract.column_names]


def typed(contract: Contract) -> list[Column]:
    return [F.col(c.name).cast(spark_type(c)).alias(c.name) for c in contract.columns]


def of_type(events: DataFrame, event_type: EventType) -> DataFrame:
    return events.where(F.col(f"{EVENT}.event_type") == str(event_type))


def _key_mismatch(key: str, expected: str, detail: str) -> Check:
    """The event's key check: ``key`` (typed) must equal the raw ``expected`` key."""
    return F.col(key) != F.col(expected).cast("bigint"), StreamReason.KEY_MISMATCH, F.lit(detail)


def events_of(batch: DataFrame) -> DataFrame:
    """The micro-batch's records with ``event_id`` and ``event_type`` at the top level."""
    return batch.select(
        "*", F.col(f"{EVENT}.event_id").alias("event_id"), F.col(f"{EVENT}.event_type").alias("event_type")
    )


def bronze_rows(events: DataFrame, metadata: list[Column]) -> DataFrame:
    """bronze ``order_events``: every record as received, its envelope and Kafka lineage."""
    return events.select(
        "event_id", "event_type", F.col(f"{EVENT}.event_version").alias("event_version"),
        F.col(f"{EVENT}.produced_at").alias("produced_at"), F.col(f"{EVENT}.order_key").alias("order_key"),
        "value", F.concat(F.lit("kafka://"), F.concat_ws("/", "_kafka_topic", "_kafka_partition",
                          "_kafka_offset")).alias(SOURCE_FILE),
        F.lit(None).cast("int").alias(SOURCE_LINE), "_kafka_topic", "_kafka_partition",
        "_kafka_offset", "_kafka_timestamp", F.col(ENVELOPE_REASON).alias("_envelope_reason"), *metadata,
    )  # fmt: skip


def placed_orders(placed: DataFrame) -> DataFrame:
    """The orders of order_placed events, typed, with ``_event_reason``: the event's structure
    (lines present, one order key) first, then the order's contract checks."""
    orders = cast_to_contract(
        placed.select("event_id", F.col(f"{EVENT}.order_key").alias("_order_key"),
                      F.size(F.col(f"{EVENT}.lines")).alias("_line_count"),
                      *_raw_columns(f"{EVENT}.order", ORDERS)),
        ORDERS,
    )  # fmt: skip
    detail = "order_placed needs lines and one order key"
    structure: list[Check] = [
        (F.col("_line_count") <= 0, ReasonCode.MALFORMED_RECORD, F.lit(detail)),
        _key_mismatch("o_orderkey", "_order_key", detail),
    ]
    return orders.withColumn("_event_reason", F.coalesce(first_failure(structure), F.col(ROW_REASON)))


def placed_lines(placed: DataFrame) -> DataFrame:
    """The lines of order_placed events, typed, with ``_line_reason``: the line's contract checks,
    then its key link to the order and the cross-entity rules (the order is in the same event)."""
    exploded = placed.select(
        "event_id",
        F.col(f"{EVENT}.order.o_orderkey").alias("_o_orderkey"),
        F.col(f"{EVENT}.order.o_orderdate").alias("_o_orderdate"),
        F.posexplode(F.col(f"{EVENT}.lines")).alias("_pos", "_line"),
    )
    lines = cast_to_contract(
        exploded.select("event_id", "_pos", "_o_orderkey", "_o_orderdate", *_raw_columns("_line", LINEITEM)),
        LINEITEM,
    ).withColumn("o_orderdate", F.expr("try_cast(trim(_o_orderdate) AS date)"))
    event_checks = [
        _key_mismatch("l_orderkey", "_o_orderkey", "line l_orderkey differs from the order's o_orderkey"),
        *[rule_check(rule) for rule in LINEITEM.cross_rules],
    ]
    return lines.withColumn("_line_reason", F.coalesce(F.col(ROW_REASON), first_failure(event_checks)))


def event_failures(orders: DataFrame, lines: DataFrame) -> DataFrame:
    """The invalid order_placed events: ``event_id``, reason, detail and ``_line_count`` (the
    lines the event carried). An event fails with its order's reason, else with its first failing
    line's (by position). Few rows: the caller collects them."""
    # The failing lines are few: the join broadcasts them, so the orders are never shuffled.
    line_failures = (
        lines.where(F.col("_line_reason").isNotNull())
        .groupBy("event_id")
        .agg(F.min_by("_line_reason", "_pos").alias("_first_line_reason"))
    )
    verdict = orders.join(F.broadcast(line_failures), "event_id", "left").withColumn(
        "_verdict", F.coalesce("_event_reason", "_first_line_reason")
    )
    return verdict.where(F.col("_verdict").isNotNull()).select(
        "event_id", F.col("_verdict.reason").alias(REASON), F.col("_verdict.detail").alias(REASON_DETAIL),
        F.greatest(F.col("_line_count"), F.lit(0)).alias("_line_count"),
    )  # fmt: skip


# Above this many failing events a batch drops them with a broadcast join instead of a literal set.
MAX_LITERAL_IDS = 5000


def without_events(df: DataFrame, event_ids: Sequence[str]) -> DataFrame:
    """``df``'s rows whose ``event_id`` is not in ``event_ids`` (the batch's failing events,
    collected): a literal set filter, no join, while they are few."""
    if not event_ids:
        return df
    if len(event_ids) <= MAX_LITERAL_IDS:
        return df.where(~F.col("event_id").isin(list(event_ids)))
    ids = df.sparkSession.createDataFrame([(i,) for i in event_ids], "event_id string")
    return df.join(F.broadcast(ids), "event_id", "left_anti")


def event_verdicts(orders: DataFrame, lines: DataFrame) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(valid typed orders, their typed lines, invalid events with reason) as lazy frames (the
    micro-batch collects ``event_failures`` instead and filters with ``without_events``)."""
    bad = event_failures(orders, lines).select("event_id", REASON, REASON_DETAIL)
    bad_ids = F.broadcast(bad.select("event_id"))
    good = orders.join(bad_ids, "event_id", "left_anti")
    good_lines = lines.join(bad_ids, "event_id", "left_anti").select(*typed(LINEITEM))
    return good.select(*typed(ORDERS)), good_lines, bad


def checked_status_changes(changes: DataFrame, contract: Contract) -> DataFrame:
    """Status changes, typed, with ``_reason``/``_reason_detail``: the envelope key first, then
    the contract checks of the status columns."""
    checked = cast_to_contract(
        changes.select("event_id", F.col(f"{EVENT}.order_key").alias("_order_key"),
                       *_raw_columns(f"{EVENT}.status", contract)),
        contract,
    )  # fmt: skip
    envelope = [_key_mismatch("o_orderkey", "_order_key", "o_orderkey differs from the event's order_key")]
    return with_reason(checked, F.coalesce(first_failure(envelope), F.col(ROW_REASON)))


def dead_letter_rows(events: DataFrame, bad_events: DataFrame) -> DataFrame:
    """The dead-letter rows: the record as received plus its reason (envelope or content)."""
    usable = events.where(F.col(ENVELOPE_REASON).isNull())
    content_bad = usable.join(F.broadcast(bad_events), "event_id", "inner")  # few: never shuffle the batch
    raw_bad = events.where(F.col(ENVELOPE_REASON).isNotNull()).select(
        "*", F.col(ENVELOPE_REASON).alias(REASON),
        F.concat(F.lit("envelope check failed: "), F.col(ENVELOPE_REASON)).alias(REASON_DETAIL),
    )  # fmt: skip
    return raw_bad.unionByName(content_bad, allowMissingColumns=True)
