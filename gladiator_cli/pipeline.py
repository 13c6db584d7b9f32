"""`gladiator pipeline run | status`: batch pipeline runs and their reconciliation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from gladiator import resources
from gladiator.config import Settings, load_settings
from gladiator.errors import GladiatorError
from gladiator.outcomes import RunState
from gladiator_cli import cli, needs
from gladiator_cli._boundary import failure_note

LAYERS = ("bronze", "silver", "quarantine", "gold")
_COMMIT = re.compile(r"_delta_log/(\d{20})\.json$")


@cli.group("pipeline")
def pipeline_group() -> None:
    """Run the batch pipeline (landing -> bronze -> silver -> gold -> warehouse) and inspect runs."""


def _ledger(settings: Settings) -> Any:
    # The ledger and batch store import boto3 (~0.15 s): loaded when a pipeline command runs, not
    # for --help.
    from gladiator.ingestion.batches import BatchStore
    from gladiator.ingestion.ledger import Ledger

    client = settings.client("dynamodb")
    ledger = Ledger(settings.table_name(resources.LEDGER), client=client)
    return BatchStore(settings.table_name(resources.JOB_STATE), ledger, client)


@pipeline_group.command("run")
@click.option("--batch-id", help="Re-run this batch (default: claim the VALIDATED files into a new batch).")
@click.option("--max-files", default=1000, show_default=True, help="Files per new batch.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the run to finish.")
@click.option("--jobs", default="", help="Comma-separated job names to run (default: every job).")
@click.option(
    "--scheduled",
    is_flag=True,
    help="Run even when no file is waiting, as the schedule does on AWS (OLTP extraction + downstream).",
)
@click.option(
    "--in-process",
    is_flag=True,
    help="Run the execution in this command's own Spark driver even when the local ingestion "
    "service runs (by default the service runs it on its warm driver: no JVM start, compiled code).",
)
@needs("aws", "mysql", "warehouse")
def run(
    batch_id: str | None, max_files: int, wait: bool, jobs: str, scheduled: bool, in_process: bool
) -> None:
    """Claim the VALIDATED landing files into a batch and run the pipeline for it.

    While the local ingestion service runs (`gladiator local up`), the execution is queued on it,
    as Step Functions runs a deployed one, and this command follows it; else it runs here."""
    from local_emulation import runner  # imports the batch store and boto3 (~0.1 s): not for --help

    settings = load_settings()
    ledger = _ledger(settings)
    if batch_id:
        batch = ledger.get(batch_id)
        if batch is None:
            raise GladiatorError(f"no batch {batch_id!r}; `gladiator pipeline status` lists the batches")
    else:
        batch = ledger.claim(max_files, allow_empty=scheduled)
        if batch is None:
            click.echo("no VALIDATED files to run: drop files and run `gladiator ingest` first", err=True)
            return
    click.echo(f"batch {batch.batch_id} (seq {batch.batch_seq}): {batch.file_count} file(s)", err=True)
    selected = [j for j in jobs.split(",") if j] or None
    from local_emulation import services

    service = None if in_process else services.running_ingestion_service(settings)
    if service is not None:
        _run_on_service(settings, service, batch, selected, wait)
        return
    if not wait:
        command = [sys.executable, "-m", "local_emulation.runner", "--batch-id", batch.batch_id]
        command += ["--batch-seq", str(batch.batch_seq), "--jobs", jobs]
        log_file = settings.home / "logs" / "pipeline" / f"{batch.batch_id}.runner.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("ab") as out:
            subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        click.echo(f"started {batch.batch_id} in the background (log {log_file})", err=True)
        return

    def run_batch(b: Any) -> Any:
        return runner.run_pipeline(b.batch_id, batch_seq=b.batch_seq, settings=settings, jobs=selected)

    with failure_note(_resume_note(batch), unless=(runner.PipelineFailed,)), _progress(settings):
        name = run_batch(batch).execution_name
    click.echo(f"{name}: SUCCEEDED", err=True)


def _resume_note(batch: Any) -> str:
    return (
        f"Batch {batch.batch_id} is claimed: `gladiator pipeline run --batch-id {batch.batch_id}` resumes it."
    )


def _progress(settings: Settings) -> Any:
    """A progress line per job and entity of the run, from its logs (local_emulation.progress)."""
    from local_emulation.progress import ProgressTail

    return ProgressTail(settings.home / "logs" / "pipeline", lambda line: click.echo(line, err=True))


def _run_on_service(settings: Settings, service: Any, batch: Any, jobs: list[str] | None, wait: bool) -> None:
    """Queue the batch's execution on the ingestion service (``local_emulation.executions``) and,
    with ``wait``, follow its progress until it ends."""
    from gladiator import pipeline as definition
    from local_emulation import executions, runner

    name = definition.execution_name(batch.batch_id)
    executions.submit(settings, executions.Request(name=name, input={"batch_id": batch.batch_id}, jobs=jobs))
    if not wait:
        click.echo(
            f"{name}: queued on the local ingestion service; `gladiator pipeline status` follows it", err=True
        )
        return
    click.echo(f"{name}: running on the local ingestion service's Spark driver", err=True)
    with failure_note(_resume_note(batch)), _progress(settings):
        outcome = executions.wait(
            settings,
            name,
            alive=lambda: service.running() and service.healthy(),
            on_queued=lambda: click.echo("    waiting for the service's current execution to end", err=True),
        )
    if outcome.status != RunState.SUCCEEDED:
        raise runner.PipelineFailed(outcome.cause or f"execution {name} failed")
    click.echo(f"{name}: SUCCEEDED", err=True)


def delta_versions(s3: Any, bucket: str) -> dict[str, int]:
    """``<layer>/<table>`` -> latest Delta version, from the ``_delta_log`` listing (no Spark)."""
    versions: dict[str, int] = {}
    for layer in LAYERS:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{layer}/"):
            for obj in page.get("Contents", []):
                match = _COMMIT.search(obj["Key"])
                if match:
                    table = obj["Key"][: match.start()].rstrip("/")
                    versions[table] = max(versions.get(table, -1), int(match.group(1)))
    return dict(sorted(versions.items()))


def status_report(settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """Runs with their reconciliation, the lake tables' Delta versions, and the data-quality
    warnings of the newest run (``gladiator.quality.warnings_for_run``, as `gladiator quality`)."""
    from gladiator import quality
    from gladiator.runs import RunStore  # imports boto3: see _ledger

    ddb = settings.client("dynamodb")
    table = settings.table_name(resources.JOB_STATE)
    store = RunStore(table, ddb)
    ledger = _ledger(settings)
    batches = {b.batch_id: b for b in ledger_batches(ledger)}
    runs = []
    recorded = store.runs()
    for run in recorded:
        batch = batches.get(run["batch_id"])
        runs.append(
            {
                **run,
                "batch_state": str(batch.state) if batch else None,
                "files": batch.file_count if batch else None,
                "reconciliation": [r.as_dict() for r in store.reconciliation(run["batch_id"])],
            }
        )
    run_ids = [str(r["batch_id"]) for r in recorded]
    warnings = (
        quality.warnings_for_run(
            quality.QualityStore(table, ddb), run_ids, run_ids[-1], now or datetime.now(UTC)
        )
        if run_ids
        else []
    )
    s3 = settings.client("s3")
    return {
        "runs": runs,
        "tables": delta_versions(s3, settings.lake_bucket),
        "warnings": [asdict(w) | {"batch_id": run_ids[-1]} for w in warnings],
    }


def ledger_batches(ledger: Any) -> list[Any]:
    return ledger.all()


@pipeline_group.command("status")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON document (runs, tables, reconciliation, warnings)."
)
@needs("aws")
def status(as_json: bool) -> None:
    """Show pipeline runs, their per-entity reconciliation, each lake table's Delta version and
    the newest run's data-quality warnings (row-count anomaly against the last 10 runs, freshness
    against the contract's SLA; details with `gladiator quality`)."""
    report = status_report(load_settings())
    if as_json:
        click.echo(json.dumps(report, default=str, indent=2))
        return
    for run in report["runs"]:
        click.echo(
            f"batch {run['batch_id']} seq {run.get('batch_seq')}: {run.get('state')} "
            f"({run.get('files')} files, started {run.get('started_at')}, finished {run.get('finished_at', '-')})"
        )
        for job, info in sorted(run.get("jobs", {}).items()):
            extra = f" {info.get('seconds')}s" if info.get("seconds") is not None else ""
            click.echo(f"    {job:<20} {info.get('state')}{extra}")
        if run["reconciliation"]:
            click.echo(
                f"    {'entity':<10} {'rows_in':>9} {'accepted':>9} {'quarant.':>9} {'dupl.':>7} {'stale':>7}  ok"
            )
        for r in run["reconciliation"]:
            click.echo(
                f"    {r['entity']:<10} {r['rows_in']:>9} {r['accepted']:>9} {r['quarantined']:>9} "
                f"{r['duplicates']:>7} {r['stale']:>7}  {'yes' if r['balanced'] else 'NO'}"
            )
    click.echo("tables (Delta version):")
    for table, version in report["tables"].items():
        click.echo(f"    {table:<30} v{version}")
    for warning in report["warnings"]:
        click.secho(f"warning: batch {warning['batch_id']}: {warning['message']}", fg="yellow")
