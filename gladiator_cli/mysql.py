"""`gladiator mysql seed | churn`: the OLTP MySQL source (MariaDB locally)."""

from __future__ import annotations

from pathlib import Path

import click

from gladiator.config import load_settings
from gladiator_cli import cli, needs


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


@cli.group("mysql")
def mysql() -> None:
    """The operational MySQL database (`retail` at $GLADIATOR_MYSQL_URL; MariaDB locally):
    one table per entity with real primary/foreign keys and an indexed updated_at."""


@mysql.command("seed")
@click.option(
    "--scale",
    "-s",
    type=float,
    default=0.01,
    show_default=True,
    help="TPC-H scale factor of the generated truth (ignored with --from).",
)
@click.option(
    "--from",
    "from_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="A `gladiator generate` output folder (DIR or DIR/truth) to load instead of generating.",
)
@click.option(
    "--seed",
    "generator_seed",
    type=int,
    default=42,
    show_default=True,
    help="Generator seed when the truth is generated here.",
)
@click.option("--database", help="Database name (default: the one in the MySQL URL, `retail`).")
@needs("mysql")
def seed_command(scale: float, from_dir: Path | None, generator_seed: int, database: str | None) -> None:
    """Drop and recreate the schema, then bulk-load the truth (LOAD DATA LOCAL INFILE). Idempotent."""
    # The generator package (pyarrow, duckdb, tpchgen) and pymysql cost ~0.3 s: loaded only here.
    from gladiator.generate.api import validate_options
    from gladiator.oltp import seed

    if from_dir is None:
        validate_options(Path("."), scale, 0.0, "csv", 1)
    truth = None
    if from_dir is not None:
        truth = from_dir if from_dir.name == "truth" else from_dir / "truth"
    report = seed(
        load_settings().mysql_url,
        truth,
        scale=scale,
        generator_seed=generator_seed,
        database=database,
        progress=_progress,
    )
    click.echo(
        f"seeded {report.database}: {report.total_rows:,} rows in {report.seconds:.1f} s "
        f"(LOAD DATA {report.load_seconds:.1f} s, {report.total_rows / max(report.load_seconds, 1e-9):,.0f} rows/s)"
    )
    for name, rows in report.rows.items():
        click.echo(f"  {name:9} {rows:>10,}")


@mysql.command("churn")
@click.option(
    "--orders",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="New orders to insert (with lines).",
)
@click.option(
    "--updates",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Open orders to fulfil (o_orderstatus and l_linestatus -> F).",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: random).")
@click.option("--database", help="Database name (default: the one in the MySQL URL, `retail`).")
@click.option("--verbose", "-v", is_flag=True, help="Also print every changed row (table, key, old -> new).")
@needs("mysql")
def churn_command(orders: int, updates: int, seed: int | None, database: str | None, verbose: bool) -> None:
    """Simulate OLTP traffic: each new order and each status change is one transaction that bumps
    updated_at. Prints a summary (rows per table and operation); --verbose prints every change."""
    from collections import Counter

    from gladiator.oltp import churn  # see seed_command

    report = churn(load_settings().mysql_url, orders=orders, updates=updates, seed=seed, database=database)
    click.echo(
        f"{report.new_orders} new orders, {report.status_changes} status changes, {len(report.changes)} rows "
        f"written; updated_at from {report.since.isoformat(sep=' ')} to {report.until.isoformat(sep=' ')}"
    )
    per_table = Counter((c.table, c.op) for c in report.changes)
    click.echo("  " + ", ".join(f"{table} {op}s {n}" for (table, op), n in sorted(per_table.items())))
    if not verbose:
        return
    for change in report.changes:
        detail = (
            ", ".join(f"{k} {change.previous.get(k)!s}->{v!s}" for k, v in change.columns.items())
            if change.op == "update"
            else ""
        )
        click.echo(f"  {change.op:6} {change.table:8} {change.key} {detail}".rstrip())
