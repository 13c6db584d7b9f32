"""`gladiator drop | ledger | ingest`: land files, watch the ledger, run the landing Lambda locally."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gladiator import resources
from gladiator.config import Settings, load_settings, use_local_credentials
from gladiator.contracts import ENTITY_NAMES
from gladiator.ingestion.drop import drop_paths
from gladiator_cli import cli, needs
from gladiator_cli._boundary import failure_note
from local_emulation.lambda_runtime import landing_mapping

if TYPE_CHECKING:
    from gladiator.ingestion.ledger import Ledger


def _settings() -> Settings:
    settings = load_settings()
    if settings.profile == "local":
        use_local_credentials()
    return settings


def _ledger(settings: Settings) -> Ledger:
    # The ledger module imports boto3's DynamoDB types (~0.15 s): only commands that use it pay.
    from gladiator.ingestion.ledger import Ledger

    return Ledger(
        settings.table_name(resources.LEDGER),
        settings.client("dynamodb"),
    )


@cli.command("drop")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--entity",
    type=click.Choice(ENTITY_NAMES),
    help="Entity of the dropped files (default: a file's folder name or the entity its name starts with).",
)
@click.option("--prefix", help="Extra key prefix in front of every key (folders keep their layout).")
@click.option("--bucket", help="Target bucket (default: the landing bucket).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@needs("aws")
def drop(
    paths: tuple[Path, ...], entity: str | None, prefix: str | None, bucket: str | None, quiet: bool
) -> None:
    """Upload files or folders to the landing bucket, as a producer would.

    `gladiator drop DIR/landing` after `gladiator generate --out DIR` lands every file under its
    entity prefix (`<entity>/<file>`). A single file goes to `<entity>/<name>`: the entity comes
    from --entity, its folder, or its name (`orders-1.csv`); else the drop is refused.
    Each object version becomes one ledger entry.
    """
    settings = _settings()
    target = bucket or settings.landing_bucket
    report = drop_paths(
        paths,
        s3=settings.client("s3"),
        bucket=target,
        prefix=prefix,
        entity=entity,
        progress=not quiet,
    )
    click.echo(f"dropped {report.files} file(s), {report.bytes} bytes, into s3://{target}/", err=True)


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


@cli.command("ledger")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (JSON lines).")
@click.option(
    "--state",
    type=click.Choice(["RECEIVED", "VALIDATED", "CLAIMED", "LOADED", "QUARANTINED"], case_sensitive=False),
    help="Only files in this state.",
)
@click.option("--batches", "show_batches", is_flag=True, help="List the batches instead of the files.")
@needs("aws")
def ledger(as_json: bool, state: str | None, show_batches: bool) -> None:
    """Show every landing file's state, reason, batch and timings (or the batches)."""
    from gladiator.ingestion.process import batch_store  # imports the ledger (boto3): see _ledger

    book = _ledger(_settings())
    if show_batches:
        for batch in batch_store(_settings()).all():
            row = asdict(batch)
            if as_json:
                click.echo(json.dumps(row, default=str))
            else:
                recon = " ".join(f"{k}={v}" for k, v in batch.reconciliation.items())
                click.echo(
                    f"{batch.batch_id:<26} seq={batch.batch_seq:<5} {batch.state:<9} files={batch.file_count:<5} {recon}"
                )
        return
    entries = sorted(
        book.entries(state.upper() if state else None), key=lambda e: (e.received_at or "", e.key)
    )
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.state] = counts.get(e.state, 0) + 1
        took = _seconds_between(e.received_at, e.state_changed_at)
        if as_json:
            row = {k: v for k, v in asdict(e).items() if k != "history"}
            click.echo(json.dumps({**row, "state": str(e.state), "seconds_to_state": took}, default=str))
        else:
            reason = f"{e.reason}" if e.reason else ""
            timing = f"{took:.3f}s" if took is not None else ""
            click.echo(f"{e.state:<12} {e.key:<48} {reason:<20} {e.batch_id or '':<26} {timing:>9}")
    if not as_json:
        summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "empty"
        click.echo(f"{len(entries)} file(s): {summary}", err=True)


@cli.command("ingest")
@click.option(
    "--until-idle/--forever", default=True, show_default=True, help="Stop when the queue is drained."
)
@click.option(
    "--timeout", default=300.0, show_default=True, help="Seconds before giving up (with --until-idle)."
)
@click.option("--batch-size", default=10, show_default=True, help="SQS messages per handler invocation.")
@click.option("--concurrency", default=1, show_default=True, help="Parallel pollers (one handler copy each).")
@click.option(
    "--retry-delay", default=2, show_default=True, help="Seconds before a failed message is retried."
)
@click.option(
    "--claim", "claim_max", type=int, default=0, help="Then cut batches of up to N VALIDATED files."
)
@click.option("--verbose", is_flag=True, help="Show the handler's JSON logs and EMF metrics.")
@needs("aws")
def ingest(
    until_idle: bool,
    timeout: float,
    batch_size: int,
    concurrency: int,
    retry_delay: int,
    claim_max: int,
    verbose: bool,
) -> None:
    """Run the landing Lambda locally: poll the landing queue and call the real handler
    (the event-source-mapping emulation: batches, partial failures, retries, DLQ)."""
    if not verbose:
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    settings = _settings()
    mapping = landing_mapping(
        settings, batch_size=batch_size, concurrency=concurrency, retry_delay_s=retry_delay
    )
    with failure_note("Unprocessed messages stay on the landing queue: `gladiator ingest` resumes."):
        if until_idle:
            stats = mapping.run_until_idle(timeout=timeout)
        else:
            stats = mapping.run_until_idle(timeout=float("inf"), settle_s=float("inf"))
    click.echo(
        f"{stats.invocations} invocation(s), {stats.received} message(s): {stats.succeeded} ok, "
        f"{stats.failed} failed, {stats.crashed} crashed invocation(s) in {stats.seconds:.1f}s"
        + ("" if stats.idle else " (NOT drained: timeout)"),
        err=True,
    )
    if claim_max:
        from gladiator.ingestion.process import batch_store  # boto3: see _ledger

        store = batch_store(settings)
        while batch := store.claim(claim_max):
            click.echo(
                f"batch {batch.batch_id} (seq {batch.batch_seq}): {batch.file_count} file(s)", err=True
            )
    if until_idle and not stats.idle:
        raise SystemExit(1)
