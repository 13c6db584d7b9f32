"""`gladiator stream produce | run`: the real-time order stream (Kafka -> Spark -> Delta + KPIs)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import click

from gladiator.config import Settings, load_settings
from gladiator.errors import ConfigurationError, ServiceError
from gladiator.outcomes import RunState
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
@click.option(
    "--in-process",
    is_flag=True,
    help="Run in this command's own Spark driver even when the local ingestion service runs (by "
    "default an --available-now run goes to the service's warm driver: no JVM start).",
)
@needs("aws", "kafka")
def run(
    topic: str,
    stream_name: str,
    duration: float | None,
    available_now: bool,
    trigger_seconds: float,
    lake_root: str | None,
    kpi_prefix: str,
    in_process: bool,
) -> None:
    """Run the streaming job; exits 1 with a clear message on bad configuration.

    An --available-now run with the default lake and KPI keys goes to the local ingestion service
    while it runs (the streaming Glue job's script on its warm Spark driver, as Glue's StartJobRun
    runs it on AWS); else, and for a run of --duration, it runs here."""
    if available_now == (duration is not None):
        raise ConfigurationError("give exactly one of --duration S or --available-now")
    settings = load_settings()
    if available_now and not (in_process or lake_root or kpi_prefix):
        from local_emulation import services

        if (service := services.running_ingestion_service(settings)) is not None:
            report = _run_on_service(settings, service, topic, stream_name, trigger_seconds)
            click.echo(json.dumps(report, indent=2, default=str))
            return
    from streaming.job import run as run_stream  # pyspark, delta: ~0.4 s

    config = StreamConfig(
        topic=topic,
        stream_name=stream_name,
        trigger_seconds=trigger_seconds,
        lake_root=lake_root,
        kpi_prefix=kpi_prefix,
    )
    result = run_stream(settings, config, duration_s=duration, available_now=available_now)
    click.echo(json.dumps(result.as_dict(), indent=2, default=str))


def _run_on_service(
    settings: Settings, service: Any, topic: str, stream_name: str, trigger_seconds: float
) -> dict[str, Any]:
    """Run ``glue_jobs/streaming_orders.py --available_now true`` on the ingestion service's
    driver (``local_emulation.executions``); its report (the job's last output line)."""
    from gladiator.config import REPO_ROOT
    from local_emulation import executions

    name = f"stream-{stream_name}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    log_file = settings.home / "logs" / "jobs" / f"{name}.log"
    argv = ["--topic", topic, "--stream_name", stream_name, "--trigger_seconds", str(trigger_seconds)]
    job = {"script": str(REPO_ROOT / "glue_jobs" / "streaming_orders.py"), "argv": [*argv, "--available_now", "true"],
           "log": str(log_file)}  # fmt: skip
    executions.submit(settings, executions.Request(name=name, input={}, job=job))
    click.echo(f"{name}: running on the local ingestion service's Spark driver (log {log_file})", err=True)
    outcome = executions.wait(
        settings,
        name,
        alive=lambda: service.running() and service.healthy(),
        on_queued=lambda: click.echo("    waiting for the service's current execution to end", err=True),
    )
    lines = log_file.read_text(errors="replace").splitlines() if log_file.exists() else []
    if outcome.status != RunState.SUCCEEDED:
        raise ServiceError(f"the stream run failed: {_last_error(lines) or outcome.cause} (log {log_file})")
    for line in reversed(lines):  # the job prints its report last (EMF lines are JSON too)
        with contextlib.suppress(ValueError):
            if line.startswith("{") and "records" in (report := json.loads(line)):
                return dict(report)
    raise ServiceError(f"the stream run ended without its report (log {log_file})")


def _last_error(lines: list[str]) -> str:
    """The last exception line of a job's log (``SomeError: message``), or ''."""
    for line in reversed(lines):
        head = line.split(":", 1)[0]
        if head and " " not in head and head.endswith(("Error", "Exception")):
            return line.strip()
    return ""
