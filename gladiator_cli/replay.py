"""`gladiator replay --quarantined`: the current contracts again over what was quarantined before.

A shell: locally it runs the Glue job ``replay_quarantined`` with ``spark-submit`` exactly as the
local runner runs the pipeline's jobs (same script, same arguments), printing the job's progress
lines; on AWS it starts the deployed Glue job run. The work is in gladiator.jobs.replay_quarantined.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import click

from gladiator.config import Settings, load_settings
from gladiator.contracts import CONTRACTS, ReasonCode
from gladiator.errors import GladiatorError
from gladiator_cli import cli, needs

PROGRESS_MARKERS = ("gladiator.replay", "gladiator.jobs.replay_quarantined")
REPORT_PREFIX = '{"job": "replay_quarantined"'


@cli.command("replay")
@click.option(
    "--quarantined",
    is_flag=True,
    help="Replay what was quarantined: the rows in quarantine/<entity> and the files the ledger "
    "holds as QUARANTINED (the only kind of replay so far; required).",
)
@click.option(
    "--entity",
    "entities",
    multiple=True,
    type=click.Choice(list(CONTRACTS)),
    help="Only this entity's rows and files (repeatable; default: every entity).",
)
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    type=click.Choice([code.value for code in ReasonCode]),
    metavar="CODE",
    help="Only rows and files quarantined for this reason code (repeatable), e.g. out_of_domain, "
    "dangling_foreign_key, file_too_large (any ReasonCode value).",
)
@click.option(
    "--batch",
    "batches",
    multiple=True,
    help="Only rows quarantined by this batch (repeatable). Files belong to no batch: with "
    "--batch no file is replayed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the replay's report as JSON.")
@needs("aws")
def replay_command(
    quarantined: bool,
    entities: tuple[str, ...],
    reasons: tuple[str, ...],
    batches: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run the current contracts again over quarantined rows and files, exactly once.

    Rows that pass now are MERGEd into silver with the ordering guard (a newer version already
    in silver wins) and leave the quarantine; rows that still fail stay, with their current
    reason. Files that pass the landing validation now become VALIDATED and the next batch loads
    them. The original batches' reconciliation counts each replayed row once, as accepted, and
    the ledger marks replayed files. Quality results and lineage are kept under the replay's id
    (`gladiator quality --batch <replay id>`).

    Running it again changes nothing. It takes the pipeline lock, so it never runs beside a
    batch; a replay that died half-way is resumed by the next `gladiator replay --quarantined`.
    """
    from gladiator.replay.request import ReplayRequest

    if not quarantined:
        raise click.UsageError("say what to replay: `gladiator replay --quarantined` (the only kind so far)")
    request = ReplayRequest.of(entities=entities, reasons=reasons, batches=batches)
    settings = load_settings()
    if settings.profile != "local":
        _start_on_glue(settings, request.as_args())
        return
    report = _run_locally(settings, request.as_args(), describe=request.describe(), quiet=as_json)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_report(report)


def _run_locally(
    settings: Settings, filters: dict[str, str], *, describe: str, quiet: bool
) -> dict[str, Any]:
    """spark-submit the job, echo its progress lines, return its report (the last JSON line)."""
    from gladiator.jobs.replay_quarantined import REPLAY_QUARANTINED
    from local_emulation import runner  # boto3 and the batch store (~0.1 s): not for --help

    common = runner.common_argument_values(settings)
    ddb = settings.client("dynamodb")
    for table in (common["--job_state_table"], common["--ledger_table"]):  # a missing one fails here,
        ddb.describe_table(TableName=table)  # in one line, before a JVM starts
    argv = [item for pair in common.items() for item in pair]
    argv += [item for pair in filters.items() for item in pair]
    log_file = settings.home / "logs" / "replay" / f"replay-{time.strftime('%Y%m%dT%H%M%S')}.log"
    click.echo(f"replaying {describe} with spark-submit (log {log_file})", err=True)
    result: dict[str, int] = {}
    job = threading.Thread(
        target=lambda: result.update(rc=runner.run_job(REPLAY_QUARANTINED, argv, settings, log_file)),
        daemon=True,
    )
    job.start()
    seen = 0
    while job.is_alive() or seen == 0:
        job.join(timeout=2.0)
        seen = _echo_progress(log_file, seen, quiet=quiet)
        if not job.is_alive():
            break
    _echo_progress(log_file, seen, quiet=quiet)
    text = log_file.read_text(errors="replace") if log_file.exists() else ""
    if result.get("rc", 1) != 0:
        raise GladiatorError(
            f"the replay job failed (exit {result.get('rc')}): {_last_error(text)} (log {log_file}); "
            "`gladiator replay --quarantined` resumes it"
        )
    reports = [line for line in text.splitlines() if line.startswith(REPORT_PREFIX)]
    if not reports:
        raise GladiatorError(f"the replay job printed no report (log {log_file})")
    return dict(json.loads(reports[-1]))


def _echo_progress(log_file: Path, seen: int, *, quiet: bool) -> int:
    """Print the replay's own log lines written since byte ``seen``; returns the new offset."""
    if not log_file.exists():
        return seen
    with log_file.open("rb") as f:
        f.seek(seen)
        chunk = f.read()
    complete = chunk[: chunk.rfind(b"\n") + 1]
    for line in complete.decode(errors="replace").splitlines():
        if not quiet and any(marker in line for marker in PROGRESS_MARKERS):
            click.echo(f"  {line.split(' ', 2)[-1]}", err=True)
    return seen + len(complete)


def _last_error(log: str) -> str:
    """The last ``SomeError: message`` line of a job log (the exception that ended it)."""
    for line in reversed(log.splitlines()):
        head, _, message = line.partition(": ")
        if message and head.strip().split(".")[-1].endswith(("Error", "Exception", "Busy")):
            return f"{head.strip().split('.')[-1]}: {message.strip()}"
    return "see the log"


def _print_report(report: dict[str, Any]) -> None:
    resumed = " (resumed)" if report.get("resumed") else ""
    click.echo(f"replay {report['replay_id']}{resumed}")
    entities = report.get("entities", {})
    if entities:
        click.echo(
            f"    {'entity':10} {'re-checked':>10} {'loaded':>8} {'dropped':>8} {'still quarantined':>18}"
        )
        for name, c in entities.items():
            dropped = c["duplicates"] + c["stale"]
            click.echo(
                f"    {name:10} {c['rows_in']:>10,} {c['accepted']:>8,} {dropped:>8,} {c['quarantined']:>18,}"
            )
    else:
        click.echo("    no quarantined rows matched")
    files = report.get("files", {})
    released = files.get("released", [])
    click.echo(f"    files valid now (VALIDATED for the next batch): {len(released)}")
    for file_id in released:
        click.echo(f"      {file_id}")
    still = ", ".join(f"{reason} {n}" for reason, n in files.get("still_quarantined", {}).items())
    click.echo(f"    files still quarantined: {still or 'none'}")
    for why, n in files.get("skipped", {}).items():
        click.echo(f"    files left as they are, {why}: {n}")


def _start_on_glue(settings: Settings, filters: dict[str, str]) -> None:
    """Start the deployed Glue job (its default arguments carry the common ones)."""
    from gladiator.jobs.replay_quarantined import REPLAY_QUARANTINED

    glue = settings.client("glue")
    name = settings.naming.physical(REPLAY_QUARANTINED.name.replace("_", "-"))
    try:
        run_id = glue.start_job_run(JobName=name, Arguments=filters)["JobRunId"]
    except glue.exceptions.EntityNotFoundException:
        raise GladiatorError(
            f"Glue job {name} is not deployed: the processing stack deploys the jobs of gladiator.pipeline; "
            "add REPLAY_QUARANTINED there and `cdk deploy`, or replay with GLADIATOR_PROFILE=local"
        ) from None
    click.echo(f"started Glue job {name}: run {run_id} (its report is the last line of the job's log)")
