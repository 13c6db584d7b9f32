"""`gladiator demo`: the whole pipeline on the local emulation, end to end."""

from __future__ import annotations

from pathlib import Path

import click

from gladiator.config import load_settings
from gladiator_cli import cli, needs


@cli.command("demo")
@click.option(
    "--scale",
    default=0.01,
    show_default=True,
    type=float,
    help="TPC-H scale factor of the generated data (0.01 = 87k rows, 1 = 8.7M).",
)
@click.option(
    "--seed", default=42, show_default=True, type=int, help="Seed: the same seed gives the same data."
)
@click.option("--faults", default=0.02, show_default=True, type=float, help="Share of injected faulty rows.")
@click.option(
    "--workdir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where generated files, extracts and reports go.  [default: .gladiator/demo]",
)
@click.option(
    "--stream-seconds", default=15.0, show_default=True, type=float, help="How long to produce events."
)
@click.option(
    "--stream-rate", default=1000.0, show_default=True, type=float, help="Events per second to produce."
)
@click.option(
    "--keep-dashboard", is_flag=True, help="Leave the dashboard running at the end (Ctrl-C to stop)."
)
@needs()  # its first step is `gladiator local up`
def demo(
    scale: float,
    seed: int,
    faults: float,
    workdir: Path | None,
    stream_seconds: float,
    stream_rate: float,
    keep_dashboard: bool,
) -> None:
    """Run every stage on the local stack and print counts and timings:
    generate → drop → ledger → bronze/silver/gold → OLTP extract → stream → warehouse → dashboard.
    """
    from local_emulation.demo import DemoContext, run_demo  # imports pyarrow and the runner (~0.1 s)

    if scale <= 0:
        raise click.BadParameter("must be > 0", param_hint="--scale")
    if not 0 <= faults < 1:
        raise click.BadParameter("must be in [0, 1)", param_hint="--faults")
    settings = load_settings("local")
    workdir = workdir or settings.home / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(
        settings=settings,
        workdir=workdir,
        scale=scale,
        seed=seed,
        faults=faults,
        keep_dashboard=keep_dashboard,
        stream_seconds=stream_seconds,
        stream_rate=stream_rate,
        dashboard_port=8050 + (settings.ports.moto - 5000),  # moves with GLADIATOR_PORT_OFFSET
    )
    run_demo(ctx)
