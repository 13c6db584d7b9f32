"""The CLI error boundary and the landing keys of `drop`, without services.

The boundary is exercised on a throw-away root group of the same class as `gladiator`'s, whose
commands raise the failures a user meets (so nothing is added to the real command tree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from click.testing import CliRunner

from gladiator import constants
from gladiator.contracts import ENTITY_NAMES
from gladiator.errors import ConfigurationError, GladiatorError
from gladiator.ingestion.drop import drop_paths, entity_of_file, plan_keys
from gladiator_cli._boundary import EXIT_BUG, GladiatorGroup, explain, failure_note
from local_emulation import preflight


@pytest.fixture(autouse=True)
def local_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (constants.PROFILE, constants.AWS_ENDPOINT_URL, constants.DEBUG, constants.PORT_OFFSET):
        monkeypatch.delenv(name, raising=False)


def client_error(code: str, operation: str = "GetItem", **error: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} happened", **error}}, operation)


# --- explain: one line per kind of failure ---------------------------------------------------
def test_unreachable_aws_endpoint_names_moto_and_the_next_command() -> None:
    line = explain(EndpointConnectionError(endpoint_url="http://127.0.0.1:5000/"))
    assert line and "moto_server" in line and "127.0.0.1:5000" in line and "gladiator local up" in line


def test_missing_credentials_on_the_aws_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(constants.PROFILE, "aws")
    monkeypatch.setenv(constants.AWS_REGION, "eu-west-1")
    line = explain(NoCredentialsError())
    assert line and "no AWS credentials" in line and "'aws'" in line and "AWS_PROFILE" in line
    rejected = explain(client_error("UnrecognizedClientException"))
    assert rejected and "refused the credentials" in rejected


def test_absent_resource_says_how_to_provision_it() -> None:
    line = explain(client_error("NoSuchBucket", "PutObject", BucketName="gladiator-local-landing"))
    assert line and "gladiator-local-landing" in line and "gladiator local up" in line
    table = explain(client_error("ResourceNotFoundException", "Scan"))
    assert table and "Scan" in table and "gladiator local up" in table


def test_missing_file_and_typed_errors_and_notes() -> None:
    line = explain(FileNotFoundError(2, "No such file or directory", "/data/x.csv"))
    assert line and line.startswith("/data/x.csv: No such file or directory")
    assert explain(ConfigurationError("bad --scale")) == "bad --scale"
    wrapped = RuntimeError("wrapper")
    wrapped.__cause__ = EndpointConnectionError(endpoint_url="http://h:1/")
    assert "h:1" in (explain(wrapped) or ""), "the cause chain is searched"
    with pytest.raises(GladiatorError) as caught, failure_note("2 of 3 done; re-run to resume."):
        raise GladiatorError("boom")
    assert explain(caught.value) == "boom 2 of 3 done; re-run to resume."


def test_a_bug_is_not_explained() -> None:
    assert explain(KeyError("x")) is None
    assert explain(client_error("ValidationException")) is None


# --- the boundary around a command tree ------------------------------------------------------
def make_root() -> click.Group:
    @click.group(cls=GladiatorGroup)
    @click.option("--debug", is_flag=True, envvar=constants.DEBUG)
    def root(debug: bool) -> None:
        pass

    failures: dict[str, BaseException] = {
        "user": ConfigurationError("the thing is wrong: fix it with `x`"),
        "bug": KeyError("unexpected"),
        "endpoint": EndpointConnectionError(endpoint_url="http://127.0.0.1:5999/"),
    }
    for name, exc in failures.items():
        root.command(name)(lambda exc=exc: (_ for _ in ()).throw(exc))
    root.command("ok")(lambda: click.echo("fine"))
    return root


def run(args: list[str], **env: str) -> Any:
    return CliRunner().invoke(make_root(), args, env=env)


@pytest.mark.parametrize("command", ["user", "endpoint"])
def test_user_errors_are_one_line_without_traceback(command: str) -> None:
    result = run([command])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


def test_debug_flag_and_variable_show_the_traceback() -> None:
    for result in (run(["--debug", "user"]), run(["user"], **{constants.DEBUG: "1"})):
        assert result.exit_code == 1
        assert "Traceback" in result.stderr and "ConfigurationError" in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("error: the thing is wrong")


def test_a_bug_shows_a_short_traceback_and_asks_for_a_report() -> None:
    result = run(["bug"])
    assert result.exit_code == EXIT_BUG
    assert "Traceback" in result.stderr and "KeyError" in result.stderr
    assert "bug" in result.stderr.splitlines()[-1] and "--debug bug" in result.stderr


def test_usage_errors_are_one_line_and_success_is_untouched() -> None:
    result = run(["nope"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "nope" in result.stderr and "--help" in result.stderr
    ok = run(["ok"])
    assert (ok.exit_code, ok.stdout) == (0, "fine\n")


# --- drop: landing keys ----------------------------------------------------------------------
def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x\n")
    return path


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("orders-00001.csv", "orders"),
        ("partsupp-3.jsonl", "partsupp"),
        ("part.parquet", "part"),
        ("Lineitem_2024.csv.gz", "lineitem"),
        ("nation", "nation"),
    ],
)
def test_a_single_file_goes_under_the_entity_its_name_says(tmp_path: Path, name: str, entity: str) -> None:
    file = touch(tmp_path / "incoming" / name)
    assert plan_keys([file]) == [(file, f"{entity}/{name}")]


def test_folder_name_or_entity_option_decides(tmp_path: Path) -> None:
    in_folder = touch(tmp_path / "customer" / "export.csv")
    assert plan_keys([in_folder]) == [(in_folder, "customer/export.csv")]
    anything = touch(tmp_path / "x" / "README.md")
    assert plan_keys([anything], entity="region") == [(anything, "region/README.md")]
    assert plan_keys([anything], "/tests//run-1/", entity="region") == [
        (anything, "tests/run-1/region/README.md")
    ]


@pytest.mark.parametrize("name", ["README.md", "orderstuff.csv", "parts-1.csv"])
def test_an_unknown_file_is_refused_with_the_entities(tmp_path: Path, name: str) -> None:
    file = touch(tmp_path / name)
    with pytest.raises(ConfigurationError) as refused:
        plan_keys([file])
    message = str(refused.value)
    assert name in message and "--entity" in message and all(e in message for e in ENTITY_NAMES)
    with pytest.raises(ConfigurationError):
        entity_of_file(file, "customers")


def test_a_folder_keeps_its_layout_and_no_key_has_an_empty_segment(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    files = [touch(root / "orders" / "orders-1.csv"), touch(root / "free" / "deep" / "README.md")]
    touch(root / ".hidden" / "x.csv")
    assert plan_keys([root]) == [(files[1], "free/deep/README.md"), (files[0], "orders/orders-1.csv")]
    for _, key in plan_keys([root], "/a//b/"):
        assert key.startswith("a/b/") and "" not in key.split("/")


class FlakyS3:
    """upload_file fails for keys containing ``fail``; records what it uploaded."""

    def __init__(self) -> None:
        self.uploaded: list[str] = []

    def upload_file(self, file: str, bucket: str, key: str, **_: Any) -> None:
        if "fail" in key:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:5000/")
        self.uploaded.append(key)


def test_a_drop_that_fails_midway_says_what_landed_and_what_to_redo(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    touch(root / "orders" / "ok-1.csv")
    touch(root / "orders" / "ok-2.csv")
    bad = touch(root / "orders" / "fail-3.csv")
    s3 = FlakyS3()
    with pytest.raises(EndpointConnectionError) as failed:
        drop_paths([root], s3=s3, bucket="landing", progress=False)
    assert sorted(s3.uploaded) == ["orders/ok-1.csv", "orders/ok-2.csv"]
    line = explain(failed.value) or ""
    assert "moto_server" in line and "2 of 3 file(s) landed" in line and str(bad) in line


# --- preflight: which check each role gets ---------------------------------------------------
def test_preflight_checks_the_configured_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from gladiator.config import load_settings

    monkeypatch.setenv(constants.PORT_OFFSET, "300")
    managed = {c.role: c for c in preflight.checks(load_settings(), ["kafka", "aws", "warehouse"])}
    assert list(managed) == ["aws", "kafka", "warehouse"]
    assert all(c.managed for c in managed.values())
    assert managed["aws"].address == ("127.0.0.1", 5300)
    monkeypatch.setenv(constants.AWS_ENDPOINT_URL, "http://127.0.0.1:4566")  # e.g. LocalStack
    (moved,) = preflight.checks(load_settings(), ["aws"])
    assert not moved.managed and moved.address == ("127.0.0.1", 4566)
