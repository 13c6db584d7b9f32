"""`gladiator generate`: TPC-H truth, dirty landing files and their fault manifest."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from gladiator.formats import FORMAT_CHOICES as FORMATS
from gladiator_cli import cli, needs


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


@cli.command("generate")
@click.option("--scale", "-s", type=float, required=True, help="TPC-H scale factor (> 0): 0.01, 0.1, 1 ...")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="Output folder: truth/, landing/ and faults.json are (re)written there.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, byte-identical output.")
@click.option(
    "--faults",
    type=float,
    default=0.01,
    show_default=True,
    help="Fraction of rows injected as row faults, in [0, 1); 0 = clean landing files, no fault files.",
)
@click.option(
    "--format",
    "fmt",
    type=str,
    default="csv",
    show_default=True,
    help=f"Landing file format: {' | '.join(FORMATS)} (mixed rotates formats across files).",
)
@click.option(
    "--files-per-entity",
    type=int,
    default=1,
    show_default=True,
    help="Landing files per entity (row slices), besides the fault files.",
)
@click.option(
    "--end-date",
    callback=_parse_date,
    default=None,
    metavar="YYYY-MM-DD",
    help="Shift all dates so the latest date in the data is this day (default: TPC-H dates).",
)
@needs()
def generate_command(
    scale: float, out: Path, seed: int, faults: float, fmt: str, files_per_entity: int, end_date: date | None
) -> None:
    """Generate retail data: the clean truth and dirty landing files with recorded faults.

    \b
    OUT/truth/<entity>/part-00000.parquet   clean rows (contract schema, with updated_at)
    OUT/landing/<entity>/<entity>-NNNNN.ext  what arrives: truth + injected row faults, fault files
    OUT/faults.json                          every non-truth row / fault file, expected outcome, reason

    Cleaning the landing files must give back the truth exactly (see docs/HELPERS.md).
    """
    from gladiator.generate import generate  # pyarrow, duckdb, tpchgen: ~0.4 s

    report = generate(
        out,
        scale=scale,
        seed=seed,
        faults=faults,
        fmt=fmt,
        files_per_entity=files_per_entity,
        end_date=end_date,
        progress=lambda message: click.echo(f"  {message}", err=True),
    )
    click.echo(f"wrote {out} in {report.seconds:.1f} s (date shift {report.date_shift_days} days)")
    for name, rows in report.truth_rows.items():
        click.echo(f"  {name:9} truth {rows:>10,}  landing {report.landing_rows[name]:>10,}")
    faults_total = sum(report.faults_by_kind.values())
    click.echo(
        f"  {report.landing_files} landing files, {report.fault_files} fault files, {faults_total:,} faults"
    )
    for kind, count in report.faults_by_kind.items():
        click.echo(f"    {kind:22} {count:>8,}")
