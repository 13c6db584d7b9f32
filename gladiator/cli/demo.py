"""`gladiator demo`: the whole pipeline on the local emulation, end to end."""

from __future__ import annotations

from pathlib import Path

import click

from gladiator.cli import cli
from gladiator.config import REPO_ROOT, load_settings


@cli.command("demo")
@click.option(
    "--scale", default=0.1, show_default=True, type=float, help="TPC-H scale factor of the generated data."
)
@click.option(
    "--seed", default=42, show_default=True, type=int, help="Seed: the same seed gives the same data."
)
@click.option("--faults", default=0.02, show_default=True, type=float, help="Share of injected faulty rows.")
@click.option(
    "--workdir",
    default=str(REPO_ROOT / ".gladiator" / "demo"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where generated files, extracts and reports go.",
)
@click.option(
    "--keep-dashboard", is_flag=True, help="Leave the dashboard running at the end (Ctrl-C to stop)."
)
def demo(scale: float, seed: int, faults: float, workdir: Path, keep_dashboard: bool) -> None:
    """Run every stage on the local stack and print counts and timings:
    generate → drop → ledger → bronze/silver/gold → OLTP extract → stream → warehouse → dashboard.
    """
    from local_emulation.demo import DemoContext, run_demo

    if scale <= 0:
        raise click.BadParameter("must be > 0", param_hint="--scale")
    if not 0 <= faults < 1:
        raise click.BadParameter("must be in [0, 1)", param_hint="--faults")
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(
        settings=load_settings("local"),
        workdir=workdir,
        scale=scale,
        seed=seed,
        faults=faults,
        keep_dashboard=keep_dashboard,
    )
    run_demo(ctx)
