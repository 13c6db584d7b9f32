"""`gladiator stream produce | run`: the real-time order stream (Kafka -> Spark -> Delta + KPIs)."""

from __future__ import annotations

import json

import click

from gladiator.config import load_settings
from gladiator.errors import ConfigurationError
from gladiator_cli import cli, needs
from streaming.config import StreamConfig


@cli.group("stream")
def stream() -> None:
    """Produce order events to Kafka and run the streaming job (Structured Streaming).

    The job writes bronze/order_events, silver orders and lineitem, dead_letter/<stream> (plus the
    `<topic>.dlq` topic) and per-minute, per-region KPIs in the live-KPI DynamoDB table.
    """


@stream.command("produce")
@click.option("--topic", default="orders", show_default=True, help="Kafka topic (created if missing).")
@click.option("--rate", type=float, required=True, help="Events per second.")
@click.option("--duration", type=float, required=True, help="Seconds to produce for.")
@click.option(
    "--faults",
    type=float,
    default=0.0,
    show_default=True,
    help="Probability per event of each fault kind: duplicate, malformed JSON, schema violation, late.",
)
@click.option("--scale", type=float, default=0.1, show_default=True, help="TPC-H scale of the order data.")
@click.option("--seed", type=int, default=7, show_default=True)
@needs("kafka")
def produce(topic: str, rate: float, duration: float, faults: float, scale: float, seed: int) -> None:
    """Send TPC-H orders as live `order_placed`/`order_status_changed` events; print counts as JSON."""
    from streaming.producer import Faults  # ~30 ms of imports: not for --help
    from streaming.producer import produce as send

    report = send(
        load_settings(),
        topic,
        rate=rate,
        duration_s=duration,
        faults=Faults.uniform(faults),
        scale=scale,
        seed=seed,
    )
    click.echo(json.dumps(report.summary(), indent=2))


@stream.command("run")
@click.option("--topic", default="orders", show_default=True, help="Kafka topic to read (must exist).")
@click.option("--stream-name", default="orders", show_default=True, help="Names the checkpoint and txnAppId.")
@click.option("--duration", type=float, help="Run for this many seconds, then stop after the running batch.")
@click.option(
    "--available-now", is_flag=True, help="Process everything available, then stop (Trigger.AvailableNow)."
)
@click.option("--trigger-seconds", type=float, default=5.0, show_default=True)
@click.option("--lake-root", help="Lake root URI (default: the lake bucket).")
@click.option("--kpi-prefix", default="", help="Prefix of the KPI keys in DynamoDB.")
@needs("aws", "kafka")
def run(
    topic: str,
    stream_name: str,
    duration: float | None,
    available_now: bool,
    trigger_seconds: float,
    lake_root: str | None,
    kpi_prefix: str,
) -> None:
    """Run the streaming job; exits 1 with a clear message on bad configuration."""
    from streaming.job import run as run_stream  # pyspark, delta: ~0.4 s

    if available_now == (duration is not None):
        raise ConfigurationError("give exactly one of --duration S or --available-now")
    config = StreamConfig(
        topic=topic,
        stream_name=stream_name,
        trigger_seconds=trigger_seconds,
        lake_root=lake_root,
        kpi_prefix=kpi_prefix,
    )
    result = run_stream(load_settings(), config, duration_s=duration, available_now=available_now)
    click.echo(json.dumps(result.as_dict(), indent=2, default=str))
