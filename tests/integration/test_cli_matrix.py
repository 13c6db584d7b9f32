"""Every command a user can type fails clearly (issue 18): a matrix built from the click tree.

Each leaf command runs in-process (CliRunner) against a local stack that is NOT running (an
unused port offset and its own GLADIATOR_HOME), so nothing here can touch the shared stack:
(a) as is, if it needs the stack: the one line names every service it needs;
(b) with one bad argument; (c) with a missing input path, where it takes one.
Each case must exit non-zero with one line on stderr that names the cause, and no traceback.
A new command joins every case without an edit here; it must only declare `@needs(...)`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.cli_matrix import (
    SERVICE_OF_ROLE,
    Leaf,
    assert_one_line_failure,
    bad_argument,
    free_offset,
    invoke,
    leaves,
    missing_input,
    required_args,
    stack_env,
)

LEAVES = list(leaves())
NEEDING_STACK = [leaf for leaf in LEAVES if leaf.roles]
WITH_INPUT = [leaf for leaf in LEAVES if missing_input(leaf, Path("/nonexistent")) is not None]


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    return stack_env(free_offset(), tmp_path_factory.mktemp("stopped-stack"))


def test_the_matrix_covers_the_tree() -> None:
    """Every leaf declares its needs, and the matrix has the commands the issue names."""
    undeclared = [leaf.id for leaf in LEAVES if leaf.declared is None]
    assert not undeclared, f"commands without @needs(...): {undeclared}"
    ids = {leaf.id for leaf in LEAVES}
    assert {"drop", "ledger", "ingest", "pipeline run", "pipeline status", "stream run"} <= ids
    assert {leaf.id for leaf in WITH_INPUT} >= {"drop", "mysql seed"}


@pytest.mark.parametrize("leaf", NEEDING_STACK, ids=lambda leaf: leaf.id)
def test_stopped_stack_names_every_needed_service(
    leaf: Leaf, stopped: dict[str, str | None], tmp_path: Path
) -> None:
    started = time.monotonic()
    result = invoke(leaf, required_args(leaf, tmp_path), stopped)
    services = [SERVICE_OF_ROLE[role] for role in leaf.roles]
    line = assert_one_line_failure(result, names=[*services, "gladiator local up"])
    assert time.monotonic() - started < 3, "the preflight must be fast"
    assert result.exit_code == 1, line


@pytest.mark.parametrize("leaf", LEAVES, ids=lambda leaf: leaf.id)
def test_one_bad_argument(leaf: Leaf, stopped: dict[str, str | None], tmp_path: Path) -> None:
    bad, named = bad_argument(leaf)
    result = invoke(leaf, [*required_args(leaf, tmp_path), *bad], stopped)
    line = assert_one_line_failure(result, names=[named, "--help"])
    assert result.exit_code == 2, line


@pytest.mark.parametrize("leaf", WITH_INPUT, ids=lambda leaf: leaf.id)
def test_missing_input_path(leaf: Leaf, stopped: dict[str, str | None], tmp_path: Path) -> None:
    case = missing_input(leaf, tmp_path)
    assert case is not None
    args, missing = case
    result = invoke(leaf, args, stopped)
    assert_one_line_failure(result, names=[missing])
