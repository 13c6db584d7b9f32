"""`gladiator lineage`: where a table's rows came from, down to the landing files."""

from __future__ import annotations

import json

import click

from gladiator.config import load_settings
from gladiator.lineage import graph
from gladiator_cli import cli, needs


@cli.command("lineage")
@click.option(
    "--table", "-t", required=True, help="The table to trace, e.g. gold.fact_sales or silver.orders."
)
@click.option(
    "--batch",
    "batch_id",
    default=None,
    help="Only the runs of this pipeline batch, and the landing Lambda runs of its files (default: all runs).",
)
@click.option("--json", "as_json", is_flag=True, help="The upstream edges as JSON instead of a tree.")
@needs()  # reads the local event file
def lineage(table: str, batch_id: str | None, as_json: bool) -> None:
    """Print the upstream graph of TABLE from the OpenLineage events the jobs emitted.

    Locally the events are in .gladiator/lineage/events.jsonl; on AWS they go to the
    OpenLineage endpoint configured at deploy time, so read them there (e.g. Marquez).
    """
    settings = load_settings()
    path = settings.lineage_file
    if path is None:
        raise click.ClickException(
            "lineage on the aws profile is sent to the configured OpenLineage endpoint; read it there"
        )
    found = graph.edges(graph.read_events(path), batch_id=batch_id)
    if not found:
        where = f" for batch {batch_id}" if batch_id else ""
        raise click.ClickException(f"no lineage events{where} in {path}; run the pipeline first")
    try:
        target = graph.resolve(table, [e.target for e in found])
    except KeyError:
        tables = sorted(  # tables only: the landing Lambda's edges end in landing files
            {".".join(e.target.rsplit("/", 2)[-2:]) for e in found if e.job != graph.LANDING_JOB}
        )
        raise click.ClickException(
            f"no run wrote {table!r}; tables with lineage: {', '.join(tables)}"
        ) from None
    tree = graph.upstream(target, found)
    if as_json:
        edges = [e.__dict__ for node in tree.values() for e in node]
        click.echo(json.dumps({"table": target, "edges": edges}, indent=2))
        return
    for line in graph.render(target, tree):
        click.echo(line)
