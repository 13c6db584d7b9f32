"""`gladiator quality`: rule-level data-quality results of the last runs, with cross-run warnings."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from gladiator import resources
from gladiator.config import load_settings
from gladiator.contracts import CONTRACTS
from gladiator_cli import cli, needs


def _all_runs(settings: Any) -> list[str]:
    """Every recorded batch id, oldest first."""
    from gladiator.runs import RunStore  # boto3 (~0.15 s): not for --help

    store = RunStore(settings.table_name(resources.JOB_STATE), settings.client("dynamodb"))
    return [str(r["batch_id"]) for r in store.runs()]


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
    from gladiator import quality  # imports boto3's DynamoDB types (~0.25 s): not for --help

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
    found = quality.warnings_for_run(store, recent, runs[-1], datetime.now(UTC)) if runs else []
    warnings = [w for w in found if entity in (None, w.entity)]
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
