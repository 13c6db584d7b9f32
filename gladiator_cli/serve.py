"""Serving commands: `gladiator warehouse load`, `gladiator dashboard`, `gladiator export tableau`,
`gladiator eda`. The export and the EDA report are imported inside their commands (20-40 ms each,
measured with `python -X importtime`), so `gladiator --help` does not pay for them."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gladiator.config import Settings, load_settings, use_local_credentials
from gladiator.contracts.gold import get_gold_contract
from gladiator.dashboard import serve_forever
from gladiator.warehouse import load_gold
from gladiator_cli import cli, needs


def _settings() -> Settings:
    settings = load_settings()
    if settings.profile == "local":
        use_local_credentials()
    return settings


@cli.group("warehouse")
def warehouse() -> None:
    """The warehouse (Redshift on AWS, PostgreSQL locally): load gold, business views."""


@warehouse.command("load")
@click.option("--schema", default="gold", show_default=True, help="Warehouse schema of the gold tables.")
@click.option("--table", "tables", multiple=True, help="Load only these gold tables (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the load summary as JSON.")
@needs("aws", "warehouse")
def warehouse_load(schema: str, tables: tuple[str, ...], as_json: bool) -> None:
    """Load each gold table's current Delta version, exactly once (manifest -> staging -> MERGE,
    one transaction; the load ledger makes reloading a version a no-op)."""

    contracts = [get_gold_contract(t) for t in tables] or None
    summary = load_gold(_settings(), schema=schema, contracts=contracts)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
        return
    for t in summary.tables:
        click.echo(f"{t.table:34} v{t.delta_version:<5} {t.status:9} {t.rows:>10} rows")
    click.echo(f"{len(summary.loaded)} table(s) loaded into {schema} in {summary.seconds:.1f} s", err=True)


@cli.command("dashboard")
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--schema", default="gold", show_default=True, help="Warehouse schema holding the views.")
@needs("aws", "warehouse")
def dashboard(port: int, host: str, schema: str) -> None:
    """Serve the business dashboard (charts over the warehouse views, live KPI panel)."""

    click.echo(f"dashboard on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    serve_forever(_settings(), host=host, port=port, schema=schema)


@cli.group("export")
def export() -> None:
    """Exports of the gold tables for BI tools."""


@export.command("tableau")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--table", "tables", multiple=True, help="Export only these gold tables (repeatable).")
@needs("aws")
def export_tableau_command(out_dir: Path, tables: tuple[str, ...]) -> None:
    """Write Tableau Hyper extracts of the gold star schema (one .hyper file per table)."""
    from gladiator.export import export_tableau  # ~20 ms: see the module docstring

    result = export_tableau(_settings(), out_dir, tables=list(tables) or None)
    for name, info in result.items():
        click.echo(f"{name:34} {info['rows']:>10} rows  {info['path']}")


@cli.command("eda")
@click.option("--out", "out_dir", default="eda-report", show_default=True, type=click.Path(path_type=Path))
@needs("aws")
def eda(out_dir: Path) -> None:
    """Write a self-contained HTML report over silver (profiles, trends, quarantine, changes)."""
    from gladiator.eda import build_eda  # ~40 ms: see the module docstring

    report = build_eda(_settings(), out_dir)
    click.echo(str(report))
