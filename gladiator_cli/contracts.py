"""`gladiator contracts export`: the entity contracts in a format other tools read (ODCS YAML)."""

from __future__ import annotations

from pathlib import Path

import click

from gladiator.contracts import CONTRACTS, get_contract
from gladiator.contracts.odcs import write_odcs
from gladiator_cli import cli, needs


@cli.group("contracts")
def contracts() -> None:
    """The entity contracts: columns, keys, rules, SLAs (gladiator/contracts/)."""


@contracts.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["odcs"]),
    default="odcs",
    show_default=True,
    help="odcs: Open Data Contract Standard v3 YAML, one file per entity.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/contracts"),
    show_default=True,
    help="Folder the files are written to (created if missing; existing files are replaced).",
)
@click.option(
    "--entity", "entities", multiple=True, help="Only this entity (repeatable). Default: all eight."
)
@needs()
def export(fmt: str, out: Path, entities: tuple[str, ...]) -> None:
    """Write each entity's contract as an ODCS document: schema, keys, quality rules and SLA.

    The quality checks are the same SQL predicates the pipeline enforces, so a contract tool that
    reads these files checks exactly what Gladiator quarantines.
    """
    try:
        chosen = {name: get_contract(name) for name in entities} if entities else dict(CONTRACTS)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--entity") from None
    for path in write_odcs(chosen, out):
        click.echo(f"wrote {path}")
