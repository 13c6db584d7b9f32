"""The CLI's command tree as test cases: every leaf command, with arguments made from its params.

Shared by the stopped-stack matrix and the half-stopped-stack test. Nothing here names a
command: a new command joins every case the moment it is registered on ``cli``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner, Result

from gladiator import constants
from gladiator.config import LocalPorts
from gladiator_cli import cli
from gladiator_cli._needs import declared_needs

# Local service names as `gladiator local status` prints them, by role.
SERVICE_OF_ROLE = {"aws": "moto", "kafka": "kafka", "mysql": "mariadb", "warehouse": "postgres"}
# Variables that would point a command away from the stack under test.
OVERRIDES = (
    constants.PROFILE, constants.AWS_ENDPOINT_URL, constants.KAFKA_BOOTSTRAP, constants.MYSQL_URL,
    constants.WAREHOUSE_URL, constants.DEBUG, constants.LANDING_BUCKET, constants.LAKE_BUCKET,
    constants.LEDGER_TABLE, constants.JOB_STATE_TABLE,
)  # fmt: skip


@dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]
    command: click.Command

    @property
    def id(self) -> str:
        return " ".join(self.path)

    @property
    def declared(self) -> tuple[str, ...] | None:
        """What the command declared with ``@needs`` (None: nothing declared)."""
        return declared_needs(self.command)

    @property
    def roles(self) -> tuple[str, ...]:
        return self.declared or ()


def leaves(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[Leaf]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaves(command, (*path, name))
        else:
            yield Leaf((*path, name), command)


def free_offset(start: int = 3000, step: int = 100) -> int:
    """A port offset whose every local-stack port is free (nothing listens there)."""
    for offset in range(start, 40000, step):
        ports = LocalPorts().shifted(offset).__dict__.values()
        if all(_free(p) for p in ports):
            return offset
    raise RuntimeError("no free port offset")


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def stack_env(offset: int, home: Path) -> dict[str, str | None]:
    """Environment of a local stack on ``offset`` with its state in ``home``, no overrides."""
    env: dict[str, str | None] = dict.fromkeys(OVERRIDES)
    env |= {constants.PORT_OFFSET: str(offset), constants.HOME: str(home)}
    return env


def _is_input_path(param: click.Parameter) -> bool:
    return isinstance(param.type, click.Path) and bool(param.type.exists)


def valid_value(param: click.Parameter, workdir: Path) -> str:
    """A value the param accepts: an existing file or folder for an input path, else by type."""
    kind = param.type
    if isinstance(kind, click.Path):
        if not kind.exists:
            return str(workdir / f"out-{param.name}")
        if not kind.file_okay:
            folder = workdir / f"in-{param.name}"
            folder.mkdir(exist_ok=True)
            return str(folder)
        file = workdir / "orders-00001.csv"  # a name that says its entity
        file.write_text("o_orderkey\n1\n")
        return str(file)
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return "1"
    return "x"


def _flag(param: click.Parameter) -> str:
    return str(param.opts[0])


# Commands whose valid call needs one of several options (checked by the command, not by click).
ONE_OF_REQUIRED = {"backfill": ["--all"], "replay": ["--quarantined"]}


def required_args(leaf: Leaf, workdir: Path, *, skip: str | None = None) -> list[str]:
    """Arguments for every required param of ``leaf`` (``skip`` names one to leave out), plus
    the choice a command needs among options click cannot mark required (``ONE_OF_REQUIRED``)."""
    args: list[str] = list(ONE_OF_REQUIRED.get(leaf.id, []))
    for param in leaf.command.params:
        if not param.required or param.name == skip:
            continue
        value = valid_value(param, workdir)
        args += [value] if isinstance(param, click.Argument) else [_flag(param), value]
    return args


def bad_argument(leaf: Leaf) -> tuple[list[str], str]:
    """One wrong argument for ``leaf`` and the text the error must name: a typed option given
    a value of the wrong type, or (if it has none) an option it does not have."""
    for param in leaf.command.params:
        if isinstance(param, click.Option) and not param.is_flag:
            if isinstance(param.type, click.Choice):
                return [_flag(param), "not-a-choice"], _flag(param)
            if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
                return [_flag(param), "not-a-number"], _flag(param)
    return ["--no-such-option"], "--no-such-option"


def missing_input(leaf: Leaf, workdir: Path) -> tuple[list[str], str] | None:
    """Arguments with a missing input path for ``leaf``'s first input-path param, or None."""
    param = next((p for p in leaf.command.params if _is_input_path(p)), None)
    if param is None:
        return None
    missing = str(workdir / "no-such-input")
    given = [missing] if isinstance(param, click.Argument) else [_flag(param), missing]
    return [*required_args(leaf, workdir, skip=param.name), *given], missing


def invoke(leaf: Leaf, args: list[str], env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(cli, [*leaf.path, *args], env=env)


def assert_one_line_failure(result: Result, *, names: list[str]) -> str:
    """Non-zero exit, no traceback, exactly one line on stderr that names each of ``names``
    (a progress bar, redrawn with carriage returns, is not a message line)."""
    err = result.stderr
    assert result.exit_code != 0, f"exit 0: {result.output}"
    assert "Traceback" not in result.output, result.output
    lines = [line for line in err.split("\n") if line.strip() and "\r" not in line]
    assert len(lines) == 1, f"not one line: {err!r}"
    for name in names:
        assert name in lines[0], f"{name!r} not named in {lines[0]!r}"
    return lines[0]
