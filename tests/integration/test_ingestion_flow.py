"""End-to-end ingestion on the shared moto_server, each test on its own isolated resources:
S3 drop -> EventBridge -> SQS -> event-source-mapping poller -> the real Lambda handler -> ledger.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from gladiator import constants, resources
from gladiator.config import Settings
from gladiator.contracts import ReasonCode
from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.model import LedgerState
from local_emulation.lambda_runtime import IngestionSandbox, load_handler_module, provision_ingestion
from tests import samples


@pytest.fixture
def stack(local_stack: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestionSandbox]:
    """Private buckets/tables/queue/rule under a unique prefix; the handler is pointed at them."""
    prefix = f"gl-t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv(constants.STACK_PREFIX, prefix)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    settings = replace(local_stack, naming=resources.Naming(prefix=prefix))
    built = provision_ingestion(settings)
    load_handler_module().runtime.cache_clear()  # rebuild clients/names from the env above
    yield built
    load_handler_module().runtime.cache_clear()
    built.delete()


def ledger_of(stack: IngestionSandbox) -> Ledger:
    s = stack.settings
    return Ledger(s.table_name(resources.LEDGER), stack.client("dynamodb"))


def drop(stack: IngestionSandbox, files: list[samples.SampleFile]) -> dict[str, str]:
    """Upload ``files``; returns key -> version id."""
    s3 = stack.client("s3")
    return {
        f.key: s3.put_object(Bucket=stack.settings.landing_bucket, Key=f.key, Body=f.data)["VersionId"]
        for f in files
    }


def final_states(ledger: Ledger) -> dict[str, Any]:
    return {e.key: e for e in ledger.entries()}


def test_good_and_bad_files_in_one_drop(stack: IngestionSandbox) -> None:
    good = samples.valid_files("orders") + samples.valid_files("lineitem", tag="li")
    bad = samples.bad_files("customer")
    drop(stack, good + bad)

    stats = stack.mapping(retry_delay_s=1).run_until_idle(timeout=120)

    assert stats.idle, stats
    entries = final_states(ledger_of(stack))
    assert len(entries) == len(good) + len(bad)
    for f in good:
        assert entries[f.key].state == LedgerState.VALIDATED, (f.key, entries[f.key])
    kinds = set()
    for f in bad:
        entry = entries[f.key]
        assert (entry.state, entry.reason) == (LedgerState.QUARANTINED, f.reason), (
            f.key,
            entry.reason_detail,
        )
        kinds.add(f.key)
    assert len(kinds) >= 15
    # the quarantine copy carries the reason, in metadata and in a sidecar
    s3 = stack.client("s3")
    bad_header = next(f for f in bad if f.reason == ReasonCode.MISSING_COLUMNS)
    target = f"quarantine/missing_columns/{bad_header.key}"
    head = s3.head_object(Bucket=stack.settings.quarantine_bucket, Key=target)
    assert head["Metadata"]["reason"] == "missing_columns"
    sidecar = json.loads(
        s3.get_object(Bucket=stack.settings.quarantine_bucket, Key=f"{target}.reason.json")["Body"].read()
    )
    assert sidecar["reason"] == "missing_columns" and "missing" in sidecar["reason_detail"]
    dlq_depth = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert dlq_depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_partial_failures_are_retried_and_poison_messages_reach_the_dlq(stack: IngestionSandbox) -> None:
    """A message the handler cannot parse fails alone (batchItemFailures); SQS redelivers it until
    maxReceiveCount (5) and then moves it to the DLQ; the good messages of the same batches are
    deleted once processed."""
    good = samples.valid_files("part", tag="dlq")
    drop(stack, good)
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps({"not": "an S3 event"}))

    stats = stack.mapping(batch_size=10, retry_delay_s=1).run_until_idle(timeout=120)

    assert stats.idle, stats
    assert stats.failed == resources.LANDING_EVENTS.max_receive_count, stats  # one poison message, 5 tries
    entries = final_states(ledger_of(stack))
    assert all(entries[f.key].state == LedgerState.VALIDATED for f in good)
    dead = sqs.receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"]) for m in dead] == [{"not": "an S3 event"}]


def test_cli_drop_ingest_ledger(
    stack: IngestionSandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gladiator drop DIR/landing` keys files by their entity folder; `ingest` runs the poller;
    `ledger --json` shows each file's state and reason. Also: a file over the size limit."""
    from click.testing import CliRunner

    from gladiator_cli import cli

    monkeypatch.setenv(constants.MAX_LANDING_FILE_BYTES, "50000")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # what `ingest` sets: restored after
    load_handler_module().runtime.cache_clear()
    landing = tmp_path / "landing"
    files = [*samples.valid_files("orders", tag="cli"), *samples.bad_files("orders", tag="clibad")[:3]]
    big = samples.SampleFile(
        "orders/cli-big.csv", samples.csv_bytes(samples.get_contract("orders"), 600), None
    )
    assert len(big.data) > 50000
    for f in [*files, big]:
        (landing / f.key).parent.mkdir(parents=True, exist_ok=True)
        (landing / f.key).write_bytes(f.data)
    runner = CliRunner()
    dropped = runner.invoke(cli, ["drop", "--quiet", str(landing)])
    assert dropped.exit_code == 0, dropped.output
    ingested = runner.invoke(cli, ["ingest", "--timeout", "120", "--retry-delay", "1"])
    assert ingested.exit_code == 0, ingested.output
    shown = runner.invoke(cli, ["ledger", "--json"])
    assert shown.exit_code == 0, shown.output
    rows = {r["key"]: r for r in map(json.loads, shown.stdout.splitlines())}
    assert set(rows) == {f.key for f in [*files, big]}
    assert rows[big.key]["state"] == "QUARANTINED" and rows[big.key]["reason"] == ReasonCode.FILE_TOO_LARGE
    for f in files:
        assert rows[f.key]["reason"] == (f.reason.value if f.reason else None)
    only = runner.invoke(cli, ["ledger", "--json", "--state", "VALIDATED"])
    assert len(only.stdout.splitlines()) == sum(f.reason is None for f in files)


def test_generated_landing_files_end_in_the_states_faults_json_expects(
    stack: IngestionSandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generator's landing drop (every format) through the whole chain: each file fault listed
    in faults.json is quarantined with its reason; every other file is VALIDATED."""
    from click.testing import CliRunner

    from gladiator.ingestion.drop import drop_paths
    from gladiator_cli import cli

    out = tmp_path / "gen"
    generated = CliRunner().invoke(
        cli, ["generate", "-s", "0.01", "-o", str(out), "--format", "mixed", "--files-per-entity", "2"]
    )
    assert generated.exit_code == 0, generated.output
    faults = json.loads((out / "faults.json").read_text())["faults"]
    expected = {f["file"]: f["reason"] for f in faults if f["expected"] == "file_quarantined"}
    assert len(expected) >= 10
    report = drop_paths(
        [out / "landing"],
        s3=stack.settings.client("s3"),
        bucket=stack.settings.landing_bucket,
        progress=False,
    )

    assert stack.mapping().run_until_idle(timeout=180).idle

    entries = final_states(ledger_of(stack))
    assert set(entries) == set(report.keys)
    for key, entry in entries.items():
        if key in expected:
            assert (entry.state, entry.reason) == (LedgerState.QUARANTINED, expected[key]), (
                key,
                entry.reason_detail,
            )
        else:
            assert entry.state == LedgerState.VALIDATED, (key, entry.reason, entry.reason_detail)
