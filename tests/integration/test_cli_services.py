"""The CLI against real services: a half-stopped stack, and `drop` of a single file.

Half-stopped: a real moto_server of our own (the project's MotoServer, on an unused port offset
with its own GLADIATOR_HOME) while Kafka, MariaDB and PostgreSQL of that stack are down. Every
command names exactly the needed services that are down, and never the one that is up; a
command that only needs moto gets past the preflight and fails on the resources its stack never
provisioned, still in one line. Then moto is killed, and the commands that need it name it.

`drop` writes into a private bucket of the shared stack (never the shared landing bucket).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from gladiator.config import Settings, load_settings
from local_emulation.preflight import down_services
from local_emulation.services import MotoServer
from tests.cli_matrix import (
    SERVICE_OF_ROLE,
    assert_one_line_failure,
    free_offset,
    invoke,
    leaves,
    required_args,
    stack_env,
)

NEEDING_STACK = [leaf for leaf in leaves() if leaf.roles]


@pytest.fixture(scope="module")
def half_stopped(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, str | None], MotoServer]]:
    env = stack_env(free_offset(start=4100), tmp_path_factory.mktemp("half-stack"))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.delenv(name, raising=False) if value is None else patch.setenv(name, value)
        moto = MotoServer(load_settings("local"))
    assert moto.start(), "our own moto_server must start (its port was free)"
    try:
        yield env, moto
    finally:
        moto.stop()


def test_the_preflight_names_only_the_services_that_are_down(
    half_stopped: tuple[dict[str, str | None], MotoServer], tmp_path: Path
) -> None:
    env, moto = half_stopped
    started = time.monotonic()
    assert [c.role for c in down_services(moto.settings, ["aws", "kafka", "mysql", "warehouse"])] == [
        "kafka",
        "mysql",
        "warehouse",
    ]
    assert time.monotonic() - started < 1.5
    for leaf in NEEDING_STACK:
        down = [SERVICE_OF_ROLE[r] for r in leaf.roles if r != "aws"]
        result = invoke(leaf, required_args(leaf, tmp_path), env)
        line = assert_one_line_failure(result, names=down)
        if down:  # stopped by the preflight, which names the down services only
            assert line.startswith(f"error: `gladiator {leaf.id}` needs"), line
            assert "moto" not in line, f"{leaf.id}: moto is up: {line}"
        else:  # past the preflight: this stack never provisioned its buckets and tables
            assert "AWS resource is missing" in line and "gladiator local up" in line, f"{leaf.id}: {line}"


def test_killed_moto_is_named(half_stopped: tuple[dict[str, str | None], MotoServer], tmp_path: Path) -> None:
    env, moto = half_stopped
    moto.stop()
    try:
        for leaf in (leaf for leaf in NEEDING_STACK if "aws" in leaf.roles):
            result = invoke(leaf, required_args(leaf, tmp_path), env)
            assert_one_line_failure(result, names=["moto", "gladiator local up"])
    finally:
        moto.start()


@pytest.fixture
def private_bucket(local_stack: Settings) -> Iterator[str]:
    s3 = boto3.client("s3", **local_stack.boto3_kwargs())  # type: ignore[call-overload]
    bucket = f"test-drop-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    yield bucket
    for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
    s3.delete_bucket(Bucket=bucket)


def keys_in(settings: Settings, bucket: str) -> list[str]:
    s3 = boto3.client("s3", **settings.boto3_kwargs())  # type: ignore[call-overload]
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_drop_of_a_single_file(local_stack: Settings, private_bucket: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gladiator_cli import cli

    named = tmp_path / "orders-00042.csv"
    named.write_text("o_orderkey\n1\n")
    readme = tmp_path / "README.md"
    readme.write_text("# not data\n")
    runner = CliRunner()

    dropped = runner.invoke(cli, ["drop", "--quiet", "--bucket", private_bucket, str(named)])
    assert dropped.exit_code == 0, dropped.output
    assert keys_in(local_stack, private_bucket) == ["orders/orders-00042.csv"]

    refused = runner.invoke(cli, ["drop", "--quiet", "--bucket", private_bucket, str(readme)])
    line = assert_one_line_failure(
        refused, names=["README.md", "--entity", "lineitem", "Nothing was uploaded"]
    )
    assert refused.exit_code == 1, line
    assert keys_in(local_stack, private_bucket) == ["orders/orders-00042.csv"], "a refusal writes nothing"

    chosen = runner.invoke(
        cli, ["drop", "--quiet", "--bucket", private_bucket, "--entity", "part", str(readme)]
    )
    assert chosen.exit_code == 0, chosen.output
    assert keys_in(local_stack, private_bucket) == ["orders/orders-00042.csv", "part/README.md"]
