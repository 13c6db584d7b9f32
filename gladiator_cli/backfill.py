"""`gladiator backfill`: rebuild an entity's silver months from bronze, then the gold it feeds.

A shell: the request is checked by gladiator.transforms.backfill, the run is one execution of the
pipeline state machine with a ``{"backfill": ...}`` input (gladiator.pipeline), locally through
the same runner as a batch (local_emulation.runner.LocalPipeline), on AWS a StartExecution.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from gladiator import pipeline
from gladiator.config import Settings, load_settings
from gladiator.contracts import CONTRACTS
from gladiator_cli import cli, needs

POLL_S = 5.0


@cli.command("backfill")
@click.option("--entity", required=True, type=click.Choice(list(CONTRACTS)), help="The entity to rebuild.")
@click.option("--from", "first", metavar="YYYY-MM", help="First month to rebuild (inclusive).")
@click.option("--to", "last", metavar="YYYY-MM", help="Last month to rebuild (inclusive; default: --from).")
@click.option(
    "--all",
    "whole",
    is_flag=True,
    help="Rebuild the whole table (the only choice for unpartitioned entities).",
)
@click.option(
    "--wait",
    "wait_s",
    type=float,
    metavar="SECONDS",
    default=0.0,
    show_default=True,
    help="Seconds to wait for a running batch to free the pipeline lock (0: refuse at once).",
)
@needs("aws")
def backfill(entity: str, first: str | None, last: str | None, whole: bool, wait_s: float) -> None:
    """Rebuild ENTITY's silver rows for a month range from bronze, then the gold tables it feeds.

    For the keys whose month (orders: order date, lineitem: ship date) is in range, the newest
    valid version in bronze is kept, with the batch job's checks and dedupe rules, and written
    with Delta replaceWhere: the months outside the range are not touched. Rejected rows stay in
    quarantine as their batch left them. Every gold table built from ENTITY is then rebuilt whole.
    Running it twice gives the same rows. It holds the pipeline lock, so it never runs beside a
    batch: a held lock refuses it (or --wait for it).

    Example: gladiator backfill --entity orders --from 1995-01 --to 1995-03
    """
    from gladiator.transforms.backfill import ALL, BackfillError, MonthRange, get_entity, scope_predicate

    if whole == bool(first or last) or (last and not first):
        raise BackfillError(
            "give a month range (--from YYYY-MM [--to YYYY-MM]) or --all, not both or neither"
        )
    first, last = (ALL, ALL) if whole else (str(first), str(last or first))
    scope_predicate(get_entity(entity), MonthRange.parse(first, last))  # a bad request fails here, at once
    settings = load_settings()
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    name = pipeline.backfill_execution_name(entity, first, last, started)
    execution_input = pipeline.backfill_input(entity, first, last)
    if settings.profile != "local":
        click.echo(_start_on_aws(settings, name, execution_input), err=True)
        return
    _wait_for_lock(settings, wait_s)
    report = _run_locally(settings, name, execution_input)
    silver, gold = report.get("silver", {}), report.get("gold", {})
    click.echo(
        f"{name}: SUCCEEDED. silver {entity} {report.get('months')}: {silver.get('written')} rows written "
        f"(re-checked {silver.get('rows_in')} bronze rows: {silver.get('quarantined')} rejected, already in quarantine); "
        f"gold rebuilt: {', '.join(gold) or 'none'}",
        err=True,
    )


def _start_on_aws(settings: Settings, name: str, execution_input: dict[str, Any]) -> str:
    from gladiator.errors import ConfigurationError
    from gladiator.ingestion.trigger import StepFunctionsStarter

    if not settings.state_machine_arn:
        raise ConfigurationError(
            "no state machine to start: set GLADIATOR_STATE_MACHINE_ARN to the deployed pipeline's ARN"
        )
    arn = StepFunctionsStarter(settings.state_machine_arn, settings.client("stepfunctions"))(
        name, execution_input
    )
    return f"started {arn}: follow it in the Step Functions console or `aws stepfunctions describe-execution`"


def _wait_for_lock(settings: Settings, wait_s: float) -> None:
    """Refuse (or wait up to ``wait_s``) before a Spark start-up if a batch holds the lock; the
    job checks again under the lock itself (a batch may start in between)."""
    from gladiator import resources
    from gladiator.ingestion.batches import BatchStore
    from gladiator.ingestion.ledger import Ledger
    from gladiator.transforms.backfill import PipelineBusy

    client = settings.client("dynamodb")
    ledger = Ledger(settings.table_name(resources.LEDGER), client=client)
    batches = BatchStore(settings.table_name(resources.JOB_STATE), ledger, client)
    deadline = time.monotonic() + wait_s
    while (holder := batches.lock_holder()) is not None:
        if time.monotonic() >= deadline:
            raise PipelineBusy(holder, wait_s)
        click.echo(f"pipeline lock held by {holder}: waiting (up to {wait_s:.0f} s)", err=True)
        time.sleep(POLL_S)


def _run_locally(settings: Settings, name: str, execution_input: dict[str, Any]) -> dict[str, Any]:
    """One execution of the state machine with the backfill input; the job's JSON report."""
    from gladiator.outcomes import RunState
    from gladiator.runs import RunStore
    from gladiator.transforms.backfill import BackfillError
    from local_emulation import runner

    local = runner.LocalPipeline.of(settings)  # the deployed definition, backfill branch included
    log_file = settings.home / "logs" / "pipeline" / name / f"{pipeline.BACKFILL.name}.log"
    # The run item a claim would open: the local Glue records the job in it, and
    # `gladiator pipeline status` lists the backfill beside the batches (seq 0: it takes its own).
    runs = RunStore(local.common["--job_state_table"], local.client("dynamodb"))
    runs.start_run(name, 0, [pipeline.BACKFILL.name])
    click.echo(f"{name}: running the backfill job (log {log_file})", err=True)
    try:
        local.run(execution_input, name=name, runs=runs)
    except runner.PipelineFailed:
        error = _job_error(log_file)
        runs.finish_run(name, RunState.FAILED, error)
        raise BackfillError(f"{name} failed: {error} (log {log_file})") from None
    runs.finish_run(name, RunState.SUCCEEDED)
    return _job_report(log_file)


def _job_report(log_file: Path) -> dict[str, Any]:
    """The JSON line the job printed last (its report), or {}."""
    for line in reversed(log_file.read_text(errors="replace").splitlines() if log_file.exists() else []):
        if line.startswith('{"job": "backfill"'):
            return dict(json.loads(line))
    return {}


def _job_error(log_file: Path) -> str:
    """The job's own one-line error (a typed Gladiator error), or where to look."""
    lines = log_file.read_text(errors="replace").splitlines() if log_file.exists() else []
    for line in reversed(lines):
        for marker in ("PipelineBusy: ", "BackfillError: ", "Error: "):
            if marker in line:
                return line.split(marker, 1)[1].strip()
    return "the backfill job failed"
