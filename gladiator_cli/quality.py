"""`gladiator quality`: rule-level data-quality results of the last runs, with cross-run warnings."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from gladiator import resources
from gladiator.config import load_settings
from gladiator.contracts import CONTRACTS
from gladiator.timestamps import parse_iso
from gladiator_cli import cli, needs

if TYPE_CHECKING:
    from gladiator import quality


def _all_runs(settings: Any) -> list[str]:
    """Every recorded batch id, oldest first."""
    from gladiator.runs import RunStore  # boto3 (~0.15 s): not for --help

    store = RunStore(settings.table_name(resources.JOB_STATE), settings.client("dynamodb"))
    return [str(r["batch_id"]) for r in store.runs()]


def warnings_for(store: quality.QualityStore, runs: list[str], now: datetime) -> list[quality.QualityWarning]:
    """Row-count anomaly and freshness of the newest run, against the runs before it."""
    from gladiator import quality  # imports boto3's DynamoDB types (~0.25 s): not for --help

    if not runs:
        return []
    history: dict[str, list[int]] = {}
    newest: dict[str, str] = {}  # the newest row seen in any run: silver holds them all
    for run_id in runs:
        for summary in store.summaries(run_id):
            if run_id != runs[-1]:
                history.setdefault(summary.entity, []).append(summary.accepted)
            if summary.newest:
                newest[summary.entity] = max(newest.get(summary.entity, ""), summary.newest)
    found = []
    for summary in store.summaries(runs[-1]):
        contract = CONTRACTS.get(summary.entity)
        if contract is None:
            continue
        seen = newest.get(summary.entity)
        for warning in (
            quality.row_count_anomaly(contract, history.get(summary.entity, []), summary.accepted),
            quality.freshness_breach(contract, parse_iso(seen) if seen else None, now),
        ):
            if warning:
                found.append(warning)
    return found


@cli.command("quality")
@click.option("--batch", "batch_id", default=None, help="One batch (default: the last N runs).")
@click.option("--entity", default=None, type=click.Choice(list(CONTRACTS)), help="Only this entity.")
@click.option(
    "--last", default=5, show_default=True, type=click.IntRange(1, 100), help="How many recent runs."
)
@click.option("--failed-only", is_flag=True, help="Only rules with failing rows.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@needs("aws")
def quality_command(
    batch_id: str | None, entity: str | None, last: int, failed_only: bool, as_json: bool
) -> None:
    """Rows checked and failed per contract rule, per entity and run, and the cross-run warnings
    (row-count anomaly against the last 10 runs, freshness against the contract's SLA)."""
    from gladiator import quality  # see warnings_for

    settings = load_settings()
    store = quality.QualityStore(settings.table_name(resources.JOB_STATE), settings.client("dynamodb"))
    recent = _all_runs(settings)
    runs = [batch_id] if batch_id else recent[-last:]
    results = [
        r
        for run_id in runs
        for r in sorted(store.results(run_id), key=lambda r: (r.entity, r.rule))
        if (entity is None or r.entity == entity) and (r.failed or not failed_only)
    ]
    # The warnings judge the newest run shown against up to HISTORY_RUNS runs before it.
    upto = recent[: recent.index(runs[-1]) + 1] if runs and runs[-1] in recent else runs
    history = upto[-(quality.HISTORY_RUNS + 1) :]
    warnings = [w for w in warnings_for(store, history, datetime.now(UTC)) if entity in (None, w.entity)]
    if as_json:
        payload = {
            "runs": runs,
            "results": [asdict(r) for r in results],
            "warnings": [asdict(w) for w in warnings],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    if not results:
        click.echo(f"no quality results recorded for {', '.join(runs) or 'any run'}")
    current = None
    for r in results:
        if r.run_id != current:
            current = r.run_id
            click.echo(f"run {r.run_id}")
            click.echo(f"    {'entity':10} {'rule':32} {'checked':>9} {'failed':>7}  severity")
        click.echo(f"    {r.entity:10} {r.rule:32} {r.checked:>9,} {r.failed:>7,}  {r.severity}")
    for w in warnings:
        click.secho(f"warning: {w.message}", fg="yellow")
