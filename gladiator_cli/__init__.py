"""The `gladiator` command line.

Each command group lives in its own module and registers itself on ``cli`` below; a module only
imports its heavy dependencies (Spark, boto3, Kafka) inside the command that needs them, so
``gladiator --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import click

from gladiator import constants as env
from gladiator.config import use_local_credentials
from gladiator.errors import GladiatorError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="gladiator")
def cli() -> None:
    """Gladiator: retail order data from files, MySQL and Kafka into Delta Lake and Redshift.

    Everything runs against the local emulation by default (profile `local`); set
    GLADIATOR_PROFILE=aws to use a deployed account. Start with `gladiator local up`.
    """
    if os.environ.get(env.PROFILE, "local") == "local":
        use_local_credentials()  # the emulators accept any key; never needed on AWS


# Every module of this package adds its commands to `cli` when imported (click lists them sorted).
COMMAND_MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))
for _module in COMMAND_MODULES:
    importlib.import_module(f"gladiator_cli.{_module}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one clear line and exit 1, without a traceback."""
    try:
        cli.main(args=argv, prog_name="gladiator", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GladiatorError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
