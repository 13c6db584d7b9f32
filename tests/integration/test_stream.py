"""The order stream end to end on the real local stack: Kafka -> Spark -> Delta + DynamoDB.

Exactly-once: events with 5% duplicates and every fault kind; the query is stopped at random
moments, crashed inside a batch, and restarted; afterwards silver holds each valid event's
effect once, the DLQ topic and dead-letter table hold exactly the injected bad events (with the
expected reason), and the DynamoDB KPI totals equal a recomputation from silver.
"""

from __future__ import annotations

import dataclasses
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from pyspark.sql import functions as F

from gladiator import metrics
from gladiator.config import Settings
from gladiator.errors import ConfigurationError, ServiceError
from gladiator.transforms.bronze import BATCH_ID, REASON
from streaming import job, kafka, kpis
from streaming.config import StreamConfig, StreamPaths
from streaming.producer import Faults, ProduceReport, produce, tpch_dir

FAULTS = Faults(duplicate=0.05, malformed_json=0.01, schema_violation=0.03, late=0.01)


class Crash(RuntimeError):
    """Raised by the test hook to kill a batch half-way."""


def _write_dimensions(spark, settings: Settings, root: str, scale: float) -> None:
    folder = tpch_dir(settings, scale)
    for name in ("customer", "nation", "region"):
        df = spark.read.parquet(f"file://{folder}/{name}.parquet").withColumn(
            "updated_at", F.current_timestamp()
        )
        df.write.format("delta").mode("overwrite").save(f"{root}/silver/{name}")


def _read_dlq(settings: Settings, topic: str) -> list[tuple[str, str]]:
    """(value, reason) of every committed DLQ record."""
    import json

    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        kafka.client_config(settings, **{"group.id": f"t-{uuid.uuid4().hex}", "isolation.level": "read_committed",
                                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    )  # fmt: skip
    tp = TopicPartition(topic, 0, 0)
    _, high = consumer.get_watermark_offsets(tp, timeout=10)
    consumer.assign([tp])
    out: list[tuple[str, str]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            record = json.loads(msg.value())
            out.append((record["value"], record["reason"]))
        position = consumer.position([tp])[0].offset
        if position >= high - 1 and msg is None:
            break
    consumer.close()
    return out


def _silver_kpis(spark, paths: StreamPaths) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (region, minute) orders/revenue/lines recomputed in batch from silver."""
    lines = spark.read.format("delta").load(paths.silver_lineitem)
    orders = spark.read.format("delta").load(paths.silver_orders).select("o_orderkey", "o_custkey")
    regions = job.customer_regions(spark, paths)
    per_order = (
        lines.groupBy("l_orderkey")
        .agg(F.sum(metrics.NET_REVENUE.column()).alias("revenue"), F.count(F.lit(1)).alias("lines"),
             F.max("updated_at").alias("placed_at"))  # lines keep their order_placed time
        .join(orders, F.col("l_orderkey") == F.col("o_orderkey"))
        .join(regions, F.col("o_custkey") == F.col("c_custkey"), "left")
    )  # fmt: skip
    rows = (
        per_order.groupBy(F.coalesce("r_name", F.lit(kpis.UNKNOWN_REGION)).alias("region"),
                          F.date_format(F.date_trunc("minute", "placed_at"), "yyyy-MM-dd'T'HH:mm:00'Z'").alias("w"))
        .agg(F.count(F.lit(1)).alias("orders"), F.sum("revenue").alias("revenue"), F.sum("lines").alias("lines"))
        .collect()
    )  # fmt: skip
    return {
        (r["region"], r["w"]): {"orders": r["orders"], "revenue": Decimal(r["revenue"]), "lines": r["lines"]}
        for r in rows
    }


def _check_exactly_once(spark, settings: Settings, config: StreamConfig, report: ProduceReport) -> None:
    paths = StreamPaths(config.root(settings), config.stream_name)
    orders = spark.read.format("delta").load(paths.silver_orders)
    lines = spark.read.format("delta").load(paths.silver_lineitem)
    got_status = {
        r["o_orderkey"]: r["o_orderstatus"] for r in orders.select("o_orderkey", "o_orderstatus").collect()
    }
    assert got_status == report.final_status, "silver orders differ from the valid events sent"
    line_counts = Counter(r["l_orderkey"] for r in lines.select("l_orderkey").collect())
    assert dict(line_counts) == report.placed, "silver lineitem differs from the valid order lines sent"

    expected_dead = Counter(report.dead_letters)
    assert Counter(_read_dlq(settings, config.dead_letter_topic())) == expected_dead, "DLQ topic"
    dead = spark.read.format("delta").load(paths.dead_letter).select("value", REASON).collect()
    assert Counter((r["value"], r[REASON]) for r in dead) == expected_dead, "dead-letter table"

    dynamodb = boto3.client("dynamodb", **settings.boto3_kwargs())
    live = kpis.read_window_totals(dynamodb, config.kpi_table_name(settings), prefix=config.kpi_prefix)
    recomputed = _silver_kpis(spark, paths)
    assert {k: {f: v[f] for f in ("orders", "revenue", "lines")} for k, v in live.items()} == recomputed
    assert sum(v["orders"] for v in live.values()) == len(report.placed)
    assert {k[0] for k in live} - {kpis.UNKNOWN_REGION}, "KPIs were not attributed to regions"


@pytest.fixture
def stream_setup(spark, local_stack: Settings, lake_prefix: str):
    suffix = uuid.uuid4().hex[:8]
    topic = f"test-orders-{suffix}"
    config = StreamConfig(
        topic=topic, stream_name=f"orders_{suffix}", lake_root=lake_prefix, kpi_prefix=f"test-{suffix}#",
        trigger_seconds=1, max_offsets_per_trigger=220,
    )  # fmt: skip
    _write_dimensions(spark, local_stack, lake_prefix, 0.1)
    yield local_stack, config
    kafka.delete_topics(local_stack, [topic, config.dead_letter_topic()])


def test_exactly_once_through_random_stops_and_a_crash_inside_a_batch(spark, stream_setup) -> None:
    settings, config = stream_setup
    report = produce(settings, config.topic, count=400, faults=FAULTS, seed=11)
    assert report.by_kind["duplicate"] > 0 and report.by_kind["late"] > 0
    rng = random.Random(5)
    crash_batch = {"id": None}

    def crash_once(batch_id: int, step: str) -> None:
        # Die after the KPIs were written but before silver: the replay must not double-count
        # the KPIs and must still write silver.
        if step == "kpis" and crash_batch["id"] is None and batch_id >= 1:
            crash_batch["id"] = batch_id
            raise Crash(f"injected crash in batch {batch_id}")

    handle = job.start(settings, config, spark=spark, fail_after=crash_once)
    handle.await_termination(900)
    assert crash_batch["id"] is not None and isinstance(handle.query.exception(), Exception)
    handle.stop(graceful=False)
    for _ in range(3):  # stop at random moments, mid-batch included
        handle = job.start(settings, config, spark=spark)
        time.sleep(rng.uniform(3, 15))
        handle.stop(graceful=False)
    result = job.run(settings, config, available_now=True, spark=spark)
    assert result.dropped_by_watermark == 0
    _check_exactly_once(spark, settings, config, report)
    batch_ids = _committed_batch_ids(spark, settings, config)
    _check_quality(settings, config, report, batch_ids)
    _check_lineage(settings, config, batch_ids, crashed=crash_batch["id"])


def _committed_batch_ids(spark, settings: Settings, config: StreamConfig) -> list[int]:
    """The ids of the micro-batches that held records (each wrote its bronze rows)."""
    paths = StreamPaths(config.root(settings), config.stream_name)
    rows = spark.read.format("delta").load(paths.bronze_events).select(BATCH_ID).distinct().collect()
    return sorted(int(r[BATCH_ID].rsplit(":", 1)[1]) for r in rows)


# Dead-letter reasons decided before an event's rows are checked (no entity row to count).
ENVELOPE_REASONS = {"malformed_json", "late_event", "unsupported_event_version", "unknown_event_type",
                    "missing_envelope_field"}  # fmt: skip


def _check_quality(
    settings: Settings, config: StreamConfig, report: ProduceReport, batch_ids: list[int]
) -> None:
    """Every micro-batch stored its rule results; the failed rows of all of them are exactly the
    injected contract violations, each under the rule its dead letter names."""
    from gladiator import resources
    from gladiator.quality import QualityStore
    from streaming import observe

    store = QualityStore(
        settings.table_name(resources.JOB_STATE), boto3.client("dynamodb", **settings.boto3_kwargs())
    )
    results = [r for b in batch_ids for r in store.results(observe.run_id(config.stream_name, b))]
    assert {int(r.run_id.rsplit("-", 1)[1]) for r in results} == set(batch_ids), "a batch recorded no quality"
    assert {r.entity for r in results} == {"orders", "lineitem", "order_status"}
    assert all(r.text and r.checked >= r.failed for r in results)
    summaries = [s for b in batch_ids for s in store.summaries(observe.run_id(config.stream_name, b))]
    assert sum(s.accepted for s in summaries if s.entity == "orders") == len(report.placed)
    injected = sum(1 for _, reason in report.dead_letters if reason not in ENVELOPE_REASONS)
    assert injected > 0 and sum(r.failed for r in results) == injected
    failed_rules = {r.rule for r in results if r.failed}
    assert "o_orderstatus_domain" in failed_rules and "l_ship_after_order" in failed_rules


def _check_lineage(
    settings: Settings, config: StreamConfig, batch_ids: list[int], *, crashed: int | None
) -> None:
    """Each micro-batch is a START/COMPLETE run from the topic to the stream's tables with the rule
    assertions; the crashed attempt is a FAIL run."""
    import json

    assert settings.lineage_file is not None
    job_name = f"stream.{config.stream_name}"
    mine = [
        e
        for e in map(json.loads, settings.lineage_file.read_text().splitlines())
        if e["job"]["name"] == job_name
    ]
    completed = [e for e in mine if e["eventType"] == "COMPLETE"]
    assert {e["run"]["facets"]["gladiator_batch"]["batchId"] for e in completed} >= {
        f"stream-{config.stream_name}-{b}" for b in batch_ids
    }
    assert any(e["eventType"] == "FAIL" and e["run"]["facets"]["gladiator_batch"]["batchId"].endswith(f"-{crashed}")
               for e in mine)  # fmt: skip
    event = completed[0]
    assert [i["name"] for i in event["inputs"]] == [config.topic]
    assert event["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    outputs = {o["name"].rsplit("/", 2)[-2] + "/" + o["name"].rsplit("/", 1)[-1] for o in event["outputs"]}
    assert outputs == {
        "bronze/order_events",
        "silver/orders",
        "silver/lineitem",
        f"dead_letter/{config.stream_name}",
    }


def test_unreachable_broker_fails_fast_and_writes_no_checkpoint(
    local_stack: Settings, lake_prefix: str
) -> None:
    bad = dataclasses.replace(local_stack, kafka_bootstrap="127.0.0.1:1")
    config = StreamConfig(topic="orders", lake_root=lake_prefix, stream_name="unreachable")
    started = time.monotonic()
    with pytest.raises(ServiceError, match="unreachable"):
        job.start(bad, config)
    assert time.monotonic() - started < 30
    _assert_no_objects(local_stack, lake_prefix)


def test_missing_topic_fails_with_a_clear_error_and_no_checkpoint(
    local_stack: Settings, lake_prefix: str
) -> None:
    config = StreamConfig(
        topic=f"missing-{uuid.uuid4().hex[:8]}", lake_root=lake_prefix, stream_name="missing"
    )
    with pytest.raises(ConfigurationError, match="do not exist"):
        job.start(local_stack, config)
    _assert_no_objects(local_stack, lake_prefix)


def test_cli_exits_non_zero_on_a_missing_topic(local_stack: Settings) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gladiator"), "stream", "run", "--topic", f"missing-{uuid.uuid4().hex[:8]}",
         "--available-now"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "do not exist" in result.stderr


def test_a_fenced_dead_letter_publisher_rebuilds_its_producer_and_publishes_each_batch_once(
    local_stack: Settings,
) -> None:
    """A second producer with the same transactional.id fences the first (as a broker restart under
    an open transaction does, CI 2026-12-03): the fenced publisher rebuilds its producer and
    publishes its batch once; a batch already published is not published again; close() on a
    producer left fenced mid-transaction does not raise."""
    from confluent_kafka import KafkaException

    from streaming.dead_letters import DeadLetterPublisher

    suffix = uuid.uuid4().hex[:8]
    topic, name = f"dlq-fence-{suffix}", f"fence_{suffix}"
    kafka.ensure_topics(local_stack, [topic], partitions=1)
    try:
        first = DeadLetterPublisher(local_stack, topic=topic, stream_name=name)
        second = DeadLetterPublisher(local_stack, topic=topic, stream_name=name)  # fences `first`
        batch0 = [{"key": "a", "value": "v0", "reason": "r0"}, {"key": "b", "value": "v1", "reason": "r0"}]
        assert first.publish(0, batch0) == 2
        assert first.producers_built == 2, "the fenced producer was not rebuilt"
        assert second.publish(0, batch0) == 0, "a published batch was published again"
        assert second.publish(1, [{"key": "c", "value": "v2", "reason": "r1"}]) == 1
        assert second.producers_built == 2
        with pytest.raises(KafkaException):  # `second` fenced `first` again: its transaction fails
            first._publish_in_transaction(2, [{"key": "d", "value": "lost", "reason": "r2"}])
        first.close()
        second.close()
        assert Counter(_read_dlq(local_stack, topic)) == Counter(
            {("v0", "r0"): 1, ("v1", "r0"): 1, ("v2", "r1"): 1}
        )
    finally:
        kafka.delete_topics(local_stack, [topic])


def _assert_no_objects(settings: Settings, prefix_uri: str) -> None:
    s3 = boto3.client("s3", **settings.boto3_kwargs())
    prefix = prefix_uri.split(f"{settings.lake_bucket}/", 1)[1]
    assert s3.list_objects_v2(Bucket=settings.lake_bucket, Prefix=prefix).get("KeyCount", 0) == 0


# The size: 200k events (5 % duplicates, every fault kind). GLADIATOR_STREAM_SLOW_EVENTS
# overrides it for a quicker local run.
SLOW_EVENTS = int(os.environ.get("GLADIATOR_STREAM_SLOW_EVENTS", "200000"))


@pytest.mark.slow
# 14 min on a quiet 2-core machine before issue 15 (CI, 2026-12-02); 8.5 min (508 s) after it on
# the same machine at load average 9-13. Timeout kept at 30 min for loaded machines; the issue's
# size is kept.
@pytest.mark.timeout(1800)
def test_exactly_once_at_scale_through_restarts_and_an_isolated_broker_restart(
    spark, local_stack, tmp_path
) -> None:
    """200k events (GLADIATOR_STREAM_SLOW_EVENTS), 3 random query stops, and a restart of an ISOLATED Kafka broker
    (own ports and home; the shared broker is never touched)."""
    from local_emulation.services import KafkaBroker

    ports = local_stack.ports.shifted(350)  # clear of the lifecycle tests' offsets
    iso = dataclasses.replace(
        local_stack, kafka_bootstrap=f"127.0.0.1:{ports.kafka}", ports=ports, home=tmp_path
    )
    broker = KafkaBroker(iso)
    broker.start()
    try:
        suffix = uuid.uuid4().hex[:8]
        lake = f"s3a://{local_stack.lake_bucket}/tests/{suffix}"
        _write_dimensions(spark, local_stack, lake, 1)
        config = StreamConfig(
            topic=f"slow-orders-{suffix}", stream_name=f"slow_{suffix}", lake_root=lake, kpi_prefix=f"slow-{suffix}#",
            trigger_seconds=2, max_offsets_per_trigger=50_000,
        )  # fmt: skip
        report = produce(iso, config.topic, count=SLOW_EVENTS, faults=FAULTS, scale=1, seed=3)
        rng = random.Random(9)
        for restart in range(3):
            handle = job.start(iso, config, spark=spark)
            time.sleep(rng.uniform(20, 80))  # stops land before, inside and after 50k batches
            if restart == 1:  # the broker goes away under a running query, then comes back
                broker.stop()
                time.sleep(5)
                broker.start()
                time.sleep(5)
            handle.stop(graceful=False)
        result = job.run(iso, config, available_now=True, spark=spark)
        assert result.dropped_by_watermark == 0
        _check_exactly_once(spark, iso, config, report)
    finally:
        broker.stop()
