"""`gladiator local up | down | status`: the local emulation's services and resources."""

from __future__ import annotations

import json

import click

from gladiator.config import load_settings
from gladiator_cli import cli, needs


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


@cli.group("local")
def local() -> None:
    """Start, stop and inspect the local stack: moto_server (all AWS APIs), a Kafka broker
    (KRaft), MariaDB (the OLTP source) and PostgreSQL (the Redshift stand-in).

    State lives in .gladiator/stack (or $GLADIATOR_HOME/stack).
    """


@local.command("up")
@click.option(
    "--ingestion/--no-ingestion",
    default=True,
    show_default=True,
    help="Also run the local ingestion service: landing files flow to the warehouse with no command.",
)
@needs()
def up(ingestion: bool) -> None:
    """Start every service (idempotent) and provision buckets, tables, queues and rules."""
    from local_emulation import stack  # the provisioner imports boto3 (~0.2 s): not for --help

    settings = load_settings("local")
    click.echo("starting the local stack", err=True)
    stack.up(settings, progress=_progress, ingestion=ingestion)
    click.echo("local stack is up; `gladiator local status` shows the endpoints", err=True)


@local.command("down")
@needs()
def down() -> None:
    """Stop the services this project started (tracked by PID files). Data is kept."""
    from local_emulation import stack  # the provisioner imports boto3 (~0.2 s): not for --help

    stopped = stack.down(load_settings("local"), progress=_progress)
    click.echo(f"stopped {len(stopped)} service(s)", err=True)


@local.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@needs()
def status(as_json: bool) -> None:
    """Show endpoints, resource names and whether each service is healthy.

    Exits 1 if any service is not healthy.
    """
    from local_emulation import stack  # the provisioner imports boto3 (~0.2 s): not for --help

    info = stack.status(load_settings("local"))
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        for name, ok in info["services"].items():
            click.echo(f"{name:10} {'healthy' if ok else 'DOWN'}")
        click.echo(f"aws endpoint  {info['aws_endpoint']}")
        click.echo(f"kafka         {info['kafka_bootstrap']}")
        click.echo(f"mysql         {info['mysql_url']}")
        click.echo(f"warehouse     {info['warehouse_url']}")
        click.echo(f"buckets       {', '.join(info['buckets'].values())}")
        click.echo(f"tables        {', '.join(info['tables'].values())}")
    if not all(info["services"].values()):
        raise SystemExit(1)
