"""Streaming benchmark (not a test): throughput vs the Kafka read limit, and end-to-end latency.

1. Sustained throughput: N events are produced to a fresh topic first; then, side by side on the
   same topic, a plain confluent-kafka consumer reads it (the read limit of this machine) and the
   streaming job processes it with Trigger.AvailableNow (validation, dedupe, bronze, dead letters,
   silver MERGEs, DynamoDB KPIs). events/s = events / wall time of the query.
2. Latency: for each rate, events are produced live at that rate while the job runs with a
   5 s trigger; per event, latency = (time its batch finished the silver MERGE, resp. the DynamoDB
   KPI write) - produced_at. p50/p95 over the events of the run.

Run: .venv/bin/python bench/bench_streaming.py [--events 100000] [--rates 1000,5000,20000]
     [--seconds 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import threading
import time
import uuid
from typing import Any

from pyspark.sql import functions as F

from gladiator.config import load_settings, use_local_credentials
from gladiator.spark import get_spark
from gladiator.transforms.bronze import BATCH_ID
from streaming import job, kafka
from streaming.config import StreamConfig, StreamPaths
from streaming.producer import produce


def scale_for(events: int) -> float:
    """TPC-H scale of the order data: SF 0.1 has 150k orders, SF 1 has 1.5M."""
    return 0.1 if events <= 140_000 else 1.0


def plain_consumer_rate(settings, topic: str, expected: int) -> tuple[float, int]:
    """Messages/s of a bare confluent-kafka consumer reading ``topic`` from the start."""
    from confluent_kafka import Consumer

    consumer = Consumer(
        kafka.client_config(settings, **{"group.id": f"bench-{uuid.uuid4().hex}", "auto.offset.reset": "earliest",
                                         "enable.auto.commit": False, "fetch.max.bytes": 52428800})
    )  # fmt: skip
    consumer.subscribe([topic])
    got, started, first = 0, time.monotonic(), None
    while got < expected and time.monotonic() - started < 300:
        batch = consumer.consume(10000, timeout=1.0)
        if batch and first is None:
            first = time.monotonic()
        got += sum(1 for m in batch if m.error() is None)
    elapsed = time.monotonic() - started  # from subscribe: connection and fetches included
    consumer.close()
    return got / elapsed, got


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def throughput(settings, spark, lake: str, events: int) -> dict:
    topic = f"bench-orders-{uuid.uuid4().hex[:8]}"
    report = produce(settings, topic, count=events, scale=scale_for(events))
    read_rate, _ = plain_consumer_rate(settings, topic, report.sent)
    name = f"bench_tp_{uuid.uuid4().hex[:6]}"
    config = StreamConfig(topic=topic, stream_name=name, lake_root=f"{lake}/{name}",
                          kpi_prefix=f"bench-{uuid.uuid4().hex[:6]}#")  # fmt: skip
    started = time.monotonic()
    result = job.run(settings, config, available_now=True, spark=spark)
    elapsed = time.monotonic() - started
    kafka.delete_topics(settings, [topic, config.dead_letter_topic()])
    return {
        "events": report.sent,
        "producer_events_per_s": round(report.sent / report.seconds),
        "plain_consumer_events_per_s": round(read_rate),
        "stream_events_per_s": round(result.records / elapsed),
        "stream_batches": result.batches,
        "stream_seconds": round(elapsed, 1),
        "ratio_stream_to_read_limit": round(result.records / elapsed / read_rate, 3),
    }


def latency(settings, spark, lake: str, rate: int, seconds: float) -> dict:
    topic = f"bench-lat-{uuid.uuid4().hex[:8]}"
    kafka.ensure_topics(settings, [topic])
    name = f"bench_lat_{uuid.uuid4().hex[:6]}"
    config = StreamConfig(topic=topic, stream_name=name, lake_root=f"{lake}/{name}",
                          kpi_prefix=f"bench-{uuid.uuid4().hex[:6]}#", trigger_seconds=5)  # fmt: skip
    visible: dict[int, dict[str, dt.datetime]] = {}

    def mark(batch_id: int, step: str) -> None:
        visible.setdefault(batch_id, {})[step] = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    handle = job.start(settings, config, spark=spark, fail_after=mark)
    sent: dict[str, Any] = {}

    def run_producer() -> None:
        try:
            sent["report"] = produce(settings, topic, rate=rate, duration_s=seconds, create_topic=False,
                                     scale=scale_for(int(rate * seconds)), status_change_ratio=0)  # fmt: skip
        except Exception as exc:  # reported below, after the query is stopped
            sent["error"] = exc

    producer = threading.Thread(target=run_producer)
    producer.start()
    producer.join()
    if "error" in sent:
        handle.stop()
        raise RuntimeError(f"producer failed at {rate} events/s: {sent['error']}")
    report = sent["report"]
    deadline = time.monotonic() + 900
    while handle.result.orders_placed < len(report.placed) and time.monotonic() < deadline:
        time.sleep(1)
    handle.stop()
    paths = StreamPaths(config.root(settings), config.stream_name)
    rows = (
        spark.read.format("delta").load(paths.silver_lineitem)
        .groupBy("l_orderkey").agg(F.max("updated_at").alias("produced_at"), F.max(BATCH_ID).alias("b"))
        .collect()
    )  # fmt: skip
    delta_lat, kpi_lat = [], []
    for r in rows:
        marks = visible.get(int(r["b"].rsplit(":", 1)[1]), {})
        if "silver" in marks:
            delta_lat.append((marks["silver"] - r["produced_at"]).total_seconds())
        if "kpis" in marks:
            kpi_lat.append((marks["kpis"] - r["produced_at"]).total_seconds())
    kafka.delete_topics(settings, [topic, config.dead_letter_topic()])
    return {
        "target_rate": rate,
        "achieved_produce_rate": round(report.sent / report.seconds),
        "events": report.sent,
        "processed_orders": len(rows),
        "delta_p50_s": round(percentile(delta_lat, 50), 2),
        "delta_p95_s": round(percentile(delta_lat, 95), 2),
        "dynamodb_p50_s": round(percentile(kpi_lat, 50), 2),
        "dynamodb_p95_s": round(percentile(kpi_lat, 95), 2),
        "batches": handle.result.batches,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rates", default="1000,5000,20000")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--lake-root", help="lake root URI (default: a fresh folder in the moto lake bucket)")
    args = parser.parse_args()
    use_local_credentials()
    settings = load_settings()
    spark = get_spark("bench-streaming", settings=settings)
    lake = args.lake_root or f"s3a://{settings.lake_bucket}/bench/streaming-{uuid.uuid4().hex[:8]}"
    print(
        json.dumps({"lake_root": lake, "events": args.events, "rates": args.rates, "seconds": args.seconds})
    )
    if not args.skip_throughput:
        print(json.dumps({"throughput": throughput(settings, spark, lake, args.events)}), flush=True)
    for rate in (int(r) for r in args.rates.split(",") if r):
        print(json.dumps({"latency": latency(settings, spark, lake, rate, args.seconds)}), flush=True)


if __name__ == "__main__":
    main()
