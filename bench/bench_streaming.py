"""Streaming benchmark (not a test): the four goals of issue 15, each measured side by side with
its bare reference in one run (2 shared cores: seconds are noisy, the ratios less so).

1. Sustained throughput: N events (default 100k) are produced to a fresh topic; a plain
   confluent-kafka consumer reads it (the read limit), then the streaming job processes it in
   process with Trigger.AvailableNow (validation, dedupe, bronze, dead letters, quality, KPIs,
   silver). events/s = events / wall time of the query. Aim: >= 10,000 events/s.
2. Fixed cost: then 20 more events on the same stream (same tables, same checkpoint): the
   seconds of that micro-batch, and per-step seconds of the big one. Aim: <= 3 s + its rows.
3. Latency: events produced live at each rate while the job runs with a 5 s trigger; per order,
   latency = (time its batch finished silver, resp. the DynamoDB KPI write) - produced_at,
   p50/p95. Aim at 5k events/s: silver p95 <= 15 s, KPI p95 <= 10 s.
4. Speed with the bare query: `gladiator stream run --available-now` on the N-event backlog as a
   subprocess (JVM start-up included) vs a bare Structured Streaming Kafka -> Parquet
   AvailableNow query of the same topic (raw values, no parsing; `--bare-query`), also a
   subprocess. Aim: ratio <= 3. Runs first, before this process starts its own JVM.

Run: .venv/bin/python bench/bench_streaming.py [--events 100000] [--rates 5000] [--seconds 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pyspark.sql import functions as F

from gladiator.config import load_settings, use_local_credentials
from gladiator.spark import get_spark
from gladiator.transforms.bronze import BATCH_ID
from streaming import job, kafka
from streaming.batch import BatchOutcome
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


def throughput(settings, spark, lake: str, topic: str, events: int) -> dict:
    read_rate, _ = plain_consumer_rate(settings, topic, events)
    name = f"bench_tp_{uuid.uuid4().hex[:6]}"
    config = StreamConfig(topic=topic, stream_name=name, lake_root=f"{lake}/{name}",
                          kpi_prefix=f"bench-{uuid.uuid4().hex[:6]}#")  # fmt: skip
    outcomes: list[BatchOutcome] = []
    started = time.monotonic()
    result = job.run(settings, config, available_now=True, spark=spark, on_batch=outcomes.append)
    elapsed = time.monotonic() - started
    big = max(outcomes, key=lambda o: o.records)
    small: list[BatchOutcome] = []
    # New order keys (the first run sent the first ``events`` orders): a steady-state batch.
    produce(
        settings, topic, count=20, scale=scale_for(events), seed=99, create_topic=False, skip_orders=events
    )
    job.run(settings, config, available_now=True, spark=spark, on_batch=small.append)
    kafka.delete_topics(settings, [topic, config.dead_letter_topic()])
    return {
        "biggest_batch_records": big.records,
        "biggest_batch_step_seconds": big.step_seconds,
        "biggest_batch_step_jobs": big.step_jobs,
        "small_batch_records": sum(o.records for o in small),
        "small_batch_seconds": round(sum(o.seconds for o in small), 2),
        "small_batch_step_seconds": small[-1].step_seconds if small else {},
        "small_batch_step_jobs": small[-1].step_jobs if small else {},
        "events": events,
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


def bare_query(topic: str, out: str) -> None:
    """The reference of goal 4: Kafka -> Parquet, raw values, no parsing, Trigger.AvailableNow
    (run as a subprocess of this script, so its JVM start-up is timed like the stream's)."""
    settings = load_settings()
    spark = get_spark("bench-bare-query", settings=settings)
    with tempfile.TemporaryDirectory() as checkpoint:
        query = (
            spark.readStream.format("kafka").options(**kafka.spark_options(settings))
            .option("subscribe", topic).option("startingOffsets", "earliest").load()
            .select("key", "value", "topic", "partition", "offset", "timestamp")
            .writeStream.format("parquet").option("path", out).option("checkpointLocation", checkpoint)
            .trigger(availableNow=True).start()
        )  # fmt: skip
        query.awaitTermination()
        rows = sum(int(p.get("numInputRows", 0)) for p in query.recentProgress)
    print(json.dumps({"bare_rows": rows}))


def _timed(command: list[str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {done.stderr[-2000:]}")
    return time.monotonic() - started, done.stdout


def versus_bare_query(lake: str, topic: str, events: int) -> dict:
    """Goal 4: the stream job and the bare query, each a fresh process, on the same backlog."""
    bin_dir = Path(sys.executable).parent
    bare_s, bare_out = _timed([sys.executable, __file__, "--bare-query", topic, "--bare-out", f"{lake}/bare"])
    print(json.dumps({"bare_query_seconds": round(bare_s, 1)}), flush=True)
    name = f"bench_cli_{uuid.uuid4().hex[:6]}"
    stream_s, stream_out = _timed(
        [str(bin_dir / "gladiator"), "stream", "run", "--topic", topic, "--available-now", "--in-process", "--stream-name", name,
         "--lake-root", f"{lake}/{name}", "--kpi-prefix", f"bench-{uuid.uuid4().hex[:6]}#"]
    )  # fmt: skip
    records = json.loads(stream_out[stream_out.rindex("{\n") :])["records"]  # the CLI's JSON result
    return {
        "events": events,
        "bare_query_seconds": round(bare_s, 1),
        "bare_query_rows": json.loads(bare_out.strip().splitlines()[-1])["bare_rows"],
        "stream_run_seconds": round(stream_s, 1),
        "stream_run_records": records,
        "ratio_stream_to_bare": round(stream_s / bare_s, 2),
    }


def goals(tp: dict | None, bare: dict | None, lat: list[dict]) -> dict:
    """The issue's four goals from this run's figures (None: not measured in this run)."""
    at_5k = next((x for x in lat if x["target_rate"] == 5000), None)
    return {
        "1_throughput_events_per_s": {"measured": tp and tp["stream_events_per_s"], "aim": ">= 10000"},
        "2_fixed_cost_s": {"measured": tp and tp["small_batch_seconds"], "aim": "<= 3 + its rows",
                           "rows": tp and tp["small_batch_records"]},
        "3_latency_p95_at_5k_s": {"silver": at_5k and at_5k["delta_p95_s"], "kpi": at_5k and at_5k["dynamodb_p95_s"],
                                  "aim": "silver <= 15, kpi <= 10"},
        "4_stream_vs_bare_query": {"measured": bare and bare["ratio_stream_to_bare"], "aim": "<= 3"},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rates", default="5000")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-bare", action="store_true", help="skip goal 4 (two subprocess JVMs)")
    parser.add_argument("--lake-root", help="lake root URI (default: a fresh folder in the moto lake bucket)")
    parser.add_argument("--bare-query", metavar="TOPIC", help=argparse.SUPPRESS)
    parser.add_argument("--bare-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    use_local_credentials()
    if args.bare_query:
        bare_query(args.bare_query, args.bare_out)
        return
    settings = load_settings()
    lake = args.lake_root or f"s3a://{settings.lake_bucket}/bench/streaming-{uuid.uuid4().hex[:8]}"
    print(
        json.dumps(
            {
                "lake_root": lake,
                "events": args.events,
                "rates": args.rates,
                "seconds": args.seconds,
                "load_average_at_start": os.getloadavg(),
            }
        )
    )
    tp = bare = None
    topic = None
    if not (args.skip_throughput and args.skip_bare):
        topic = f"bench-orders-{uuid.uuid4().hex[:8]}"
        report = produce(settings, topic, count=args.events, scale=scale_for(args.events))
        print(
            json.dumps(
                {"produced": report.sent, "producer_events_per_s": round(report.sent / report.seconds)}
            )
        )
    if topic and not args.skip_bare:
        bare = versus_bare_query(lake, topic, args.events)
        print(json.dumps({"versus_bare_query": bare}), flush=True)
    spark = get_spark("bench-streaming", settings=settings)
    if topic and not args.skip_throughput:
        tp = throughput(settings, spark, lake, topic, args.events)
        print(json.dumps({"throughput": tp}), flush=True)
    elif topic:
        kafka.delete_topics(settings, [topic])
    lat = []
    for rate in (int(r) for r in args.rates.split(",") if r):
        lat.append(latency(settings, spark, lake, rate, args.seconds))
        print(json.dumps({"latency": lat[-1]}), flush=True)
    print(
        json.dumps({"goals": goals(tp, bare, lat), "load_average_at_end": os.getloadavg()}, indent=1),
        flush=True,
    )


if __name__ == "__main__":
    main()
