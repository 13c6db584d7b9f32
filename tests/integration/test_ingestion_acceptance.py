"""Acceptance properties of the ingestion chain, on the shared moto_server (isolated resources):
duplicates, ordering, bad files next to good ones, a 1,000-file burst, a stuck INPROGRESS record.
Each was seen to fail with the property broken on purpose (see the report of issue 4).
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from gladiator.contracts import ReasonCode, get_contract
from gladiator.ingestion import process
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.model import LedgerState
from gladiator.resources import IDEMPOTENCY as _IDEMPOTENCY
from local_emulation.lambda_runtime import IngestionSandbox
from tests import samples
from tests.integration import test_ingestion_flow as flow

stack = flow.stack  # the isolated-resources fixture
drop, ledger_of = flow.drop, flow.ledger_of
FINAL = {LedgerState.LOADED, LedgerState.QUARANTINED}


def take_all_messages(stack: IngestionSandbox) -> list[str]:
    """Remove every message from the landing queue; return the bodies (S3 events as delivered)."""
    sqs = stack.client("sqs")
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        messages = got.get("Messages", [])
        if not messages:
            return bodies
        bodies += [m["Body"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=stack.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def send(stack: IngestionSandbox, bodies: list[str]) -> None:
    sqs = stack.client("sqs")
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=stack.queue_url,
            Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])],
        )


def batches_of(ledger: Ledger) -> BatchStore:
    return BatchStore(ledger.table_name.removesuffix("ledger") + "job-state", ledger, ledger.client)


def load_everything(ledger: Ledger) -> list[str]:
    """What the landing_to_bronze side does: claim batches until none, mark each loaded."""
    batch_ids = []
    store = batches_of(ledger)
    while batch := store.claim(7):
        store.mark_loaded(batch.batch_id)
        batch_ids.append(batch.batch_id)
    return batch_ids


def assert_each_state_once(ledger: Ledger) -> None:
    for entry in ledger.entries():
        states = [h["state"] for h in entry.history]
        assert len(states) == len(set(states)), (entry.key, states)


@pytest.mark.parametrize("layers", ["idempotency+ledger", "ledger-only"])
def test_duplicates_every_event_three_times_and_every_file_dropped_twice(
    stack: IngestionSandbox, layers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exactly-once effect from at-least-once delivery. "ledger-only" switches Powertools
    idempotency off, so the ledger's conditional writes alone must hold the property (with
    idempotency on, its cached results answer most replays before the ledger sees them)."""
    if layers == "ledger-only":
        monkeypatch.setenv("POWERTOOLS_IDEMPOTENCY_DISABLED", "true")
    files = samples.valid_files("orders") + samples.valid_files("customer", tag="c")
    first = drop(stack, files)
    second = drop(stack, files)  # same bytes again: new versions, same eTags
    bodies = take_all_messages(stack)
    assert len(bodies) == 2 * len(files)
    tripled = bodies * 3
    random.Random(7).shuffle(tripled)
    send(stack, tripled)

    stats = stack.mapping().run_until_idle(timeout=120)
    assert stats.idle and stats.received == 6 * len(files), stats

    ledger = ledger_of(stack)
    entries = list(ledger.entries())
    assert len(entries) == 2 * len(files)  # one entry per object version
    for f in files:
        versions = [e for e in entries if e.key == f.key]
        assert {e.version_id for e in versions} == {first[f.key], second[f.key]}
        states = sorted((e.state, e.reason or "") for e in versions)
        # exactly one version goes on to be loaded; the other is the same file again
        assert states[0][0] == LedgerState.QUARANTINED and states[0][1] in ("duplicate", "stale_version"), (
            states
        )
        assert states[1] == (LedgerState.VALIDATED, ""), states
    loaded_batches = load_everything(ledger)
    assert loaded_batches

    send(stack, bodies * 2)  # late replays after loading change nothing
    assert stack.mapping().run_until_idle(timeout=120).idle
    after = {e.file_id: e for e in ledger.entries()}
    assert sum(e.state == LedgerState.LOADED for e in after.values()) == len(files)
    assert all(e.state in FINAL for e in after.values())
    assert_each_state_once(ledger)
    claimed = [f for b in batches_of(ledger).all() for f in b.file_ids]
    assert len(claimed) == len(set(claimed)) == len(files)  # every file claimed exactly once


def _with_sequencer(body: str, sequencer: str) -> str:
    event = json.loads(body)
    event["detail"]["object"]["sequencer"] = sequencer
    return json.dumps(event)


@pytest.mark.parametrize("sequencers", ["real", "moto-constant"])
def test_out_of_order_events_for_one_key_resolved_by_sequencer(
    stack: IngestionSandbox, sequencers: str
) -> None:
    contract = get_contract("nation")
    key = "nation/changing.csv"
    versions = []
    for generation in range(3):  # three different contents of one key
        data = samples.csv_bytes(contract, 3, start=generation * 10)
        versions.append(drop(stack, [samples.SampleFile(key, data, None)])[key])
    bodies = take_all_messages(stack)
    by_version = {json.loads(b)["detail"]["object"]["version-id"]: b for b in bodies}
    ordered = [by_version[v] for v in versions]
    if sequencers == "real":  # what S3 sends: growing sequencers (moto sends a constant)
        ordered = [_with_sequencer(b, f"0062E99A88DC40746{i}") for i, b in enumerate(ordered)]
    send(stack, [ordered[2], ordered[0], ordered[2], ordered[1]])  # newest first, older ones late

    assert stack.mapping(batch_size=1).run_until_idle(timeout=60).idle
    ledger = ledger_of(stack)
    states = {e.version_id: (e.state, e.reason) for e in ledger.entries()}
    assert states[versions[2]] == (LedgerState.VALIDATED, None)
    assert states[versions[0]] == (LedgerState.QUARANTINED, ReasonCode.STALE_VERSION)
    assert states[versions[1]] == (LedgerState.QUARANTINED, ReasonCode.STALE_VERSION)
    load_everything(ledger)
    send(stack, ordered[:2])  # older events again, after the newest was loaded: no regression
    assert stack.mapping().run_until_idle(timeout=60).idle
    assert ledger.get(f"{stack.settings.landing_bucket}/{key}#{versions[2]}").state == LedgerState.LOADED  # type: ignore[union-attr]
    assert_each_state_once(ledger)


@pytest.mark.slow
def test_burst_of_1000_files_all_reach_a_final_state(
    stack: IngestionSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,000 files at once, 4 pollers; every 40th file's first attempt fails as if DynamoDB
    throttled it, so partial batch failures and retries are part of the burst. Every file must
    end LOADED or QUARANTINED: none lost, none stuck, nothing in the DLQ."""
    real_validate = process.validate_object
    throttled: set[str] = set()

    def throttled_once(reader: Any, key: str, *args: Any, **kwargs: Any) -> Any:
        number = key[-8:-4]
        if number.isdigit() and int(number) % 40 == 0 and key not in throttled:
            throttled.add(key)
            raise RuntimeError("ProvisionedThroughputExceededException (simulated)")
        return real_validate(reader, key, *args, **kwargs)

    monkeypatch.setattr(process, "validate_object", throttled_once)
    contract = get_contract("lineitem")
    bad = samples.bad_files("lineitem", tag="burst")
    files = bad + [
        samples.SampleFile(f"lineitem/burst-{i:04d}.csv", samples.csv_bytes(contract, 3, start=i * 3), None)
        for i in range(1000 - len(bad))
    ]
    assert len(files) == 1000
    started = time.monotonic()
    s3 = stack.client("s3")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda f: s3.put_object(Bucket=stack.settings.landing_bucket, Key=f.key, Body=f.data), files
            )
        )
    stats = stack.mapping(batch_size=10, concurrency=4, retry_delay_s=1).run_until_idle(timeout=600)
    ledger = ledger_of(stack)
    load_everything(ledger)
    elapsed = time.monotonic() - started
    entries = list(ledger.entries())
    by_state: dict[str, int] = {}
    for e in entries:
        by_state[e.state] = by_state.get(e.state, 0) + 1
    print(f"\nburst: {len(entries)} files final in {elapsed:.1f}s ({by_state}); poller {stats}")
    assert stats.idle, stats
    assert len(throttled) == 25 and stats.failed >= 25, (len(throttled), stats)
    assert len(entries) == 1000, by_state
    assert all(e.state in FINAL for e in entries), by_state
    assert by_state.get(LedgerState.QUARANTINED) == len(bad)
    dlq = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert dlq["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_stuck_inprogress_idempotency_record_expires_and_is_retried(
    stack: IngestionSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first invocation dies mid-record (SystemExit stands for a timeout/OOM kill: no Python
    cleanup runs), leaving Powertools' INPROGRESS record behind. It expires with the invocation's
    remaining time (3 s here), so a redelivery processes the file instead of waiting for the
    record's 24 h expiry, and the message never reaches the DLQ."""
    real_validate = process.validate_object
    calls = {"n": 0}

    def dies_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemExit("simulated Lambda timeout")
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(process, "validate_object", dies_once)
    (sample,) = samples.valid_files("region", tag="stuck")[:1]
    drop(stack, [sample])
    mapping = stack.mapping(function_timeout_s=3.0, retry_delay_s=1)

    first = mapping.poll_once()
    assert first.crashed == 1
    idempotency = stack.client("dynamodb").scan(TableName=stack.settings.table_name(_IDEMPOTENCY))["Items"]
    assert [i["status"]["S"] for i in idempotency] == ["INPROGRESS"]
    assert "in_progress_expiration" in idempotency[0]

    stats = mapping.run_until_idle(timeout=60)
    assert stats.idle, stats
    (entry,) = ledger_of(stack).entries()
    assert entry.state == LedgerState.VALIDATED
    dlq = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert dlq["Attributes"]["ApproximateNumberOfMessages"] == "0"
