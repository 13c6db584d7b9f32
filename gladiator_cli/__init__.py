"""The `gladiator` command line.

Each command group lives in its own module and registers itself on ``cli`` below; a module only
imports its heavy dependencies (Spark, boto3, Kafka) inside the command that needs them, so
``gladiator --help`` stays fast. Every command declares what it needs from the stack
(``@needs``, checked before its first write), and every failure goes through one error boundary
(``_boundary.GladiatorGroup``): one line on stderr, no traceback unless ``--debug``.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from gladiator import constants as env
from gladiator.config import profile_name, use_local_credentials
from gladiator_cli._boundary import GladiatorGroup
from gladiator_cli._needs import needs

__all__ = ["cli", "main", "needs"]


@click.group(
    "gladiator",
    cls=GladiatorGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="gladiator")
@click.option(
    "--debug", is_flag=True, envvar=env.DEBUG, help="Show the traceback of a failure (or GLADIATOR_DEBUG=1)."
)
def cli(debug: bool) -> None:
    """Gladiator: retail order data from files, MySQL and Kafka into Delta Lake and Redshift.

    Everything runs against the local emulation by default (profile `local`); set
    GLADIATOR_PROFILE=aws to use a deployed account. Start with `gladiator local up`.
    """
    if profile_name() == "local":
        use_local_credentials()  # the emulators accept any key; never needed on AWS


# Every module of this package adds its commands to `cli` when imported (click lists them sorted).
COMMAND_MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))
for _module in COMMAND_MODULES:
    importlib.import_module(f"gladiator_cli.{_module}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every failure is reported by the error boundary (one line, exit != 0)."""
    cli.main(args=argv, prog_name="gladiator")
