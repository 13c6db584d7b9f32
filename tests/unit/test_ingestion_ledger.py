"""Ledger state machine and batch claims (BatchStore), on moto in-process (no services)."""

from __future__ import annotations

from typing import Any

import pytest

from gladiator.errors import IllegalTransition
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.ledger import EventOrder, Ledger
from gladiator.ingestion.model import BatchState, LedgerState
from gladiator.ingestion.object_events import ObjectEvent, normalize_sequencer


@pytest.fixture
def ledger(store: BatchStore) -> Ledger:
    return store.ledger


def event(key: str, version: str = "v1", *, seq: str = "0055AA", etag: str = "e1", **kw: Any) -> ObjectEvent:
    return ObjectEvent(
        bucket="landing",
        key=key,
        size=10,
        etag=etag,
        version_id=version,
        sequencer=normalize_sequencer(seq),
        **kw,
    )


def validated(ledger: Ledger, n: int, prefix: str = "orders/f") -> list[str]:
    ids = []
    for i in range(n):
        e = event(f"{prefix}{i}.csv")
        ledger.register(e, entity="orders", fmt="csv")
        ledger.transition(e.file_id, LedgerState.VALIDATED)
        ids.append(e.file_id)
    return ids


def test_register_twice_is_a_noop(ledger: Ledger) -> None:
    e = event("orders/a.csv")
    first, created = ledger.register(e, entity="orders", fmt="csv")
    again, created_again = ledger.register(e, entity="orders", fmt="csv")
    assert (created, created_again) == (True, False)
    assert again.file_id == first.file_id == "landing/orders/a.csv#v1"
    assert again.state == LedgerState.RECEIVED


def test_happy_path_and_replays(store: BatchStore, ledger: Ledger) -> None:
    fid = validated(ledger, 1)[0]
    assert ledger.transition(fid, LedgerState.VALIDATED) is False  # replay
    batch = store.claim(10)
    assert batch is not None and batch.file_ids == (fid,)
    assert ledger.transition(fid, LedgerState.VALIDATED) is False  # late validation replay: no regress
    assert store.mark_loaded(batch.batch_id) == 1
    assert store.mark_loaded(batch.batch_id) == 0  # replay
    entry = ledger.get(fid)
    assert entry is not None and entry.state == LedgerState.LOADED and entry.batch_id == batch.batch_id
    assert [h["state"] for h in entry.history] == ["RECEIVED", "VALIDATED", "CLAIMED", "LOADED"]
    assert store.get(batch.batch_id).state == BatchState.LOADED  # type: ignore[union-attr]


def test_illegal_transitions_raise_and_change_nothing(ledger: Ledger) -> None:
    e = event("orders/q.csv")
    ledger.register(e, entity="orders", fmt="csv")
    ledger.transition(e.file_id, LedgerState.QUARANTINED, reason="wrong_header", reason_detail="x")
    with pytest.raises(IllegalTransition):
        ledger.transition(e.file_id, LedgerState.VALIDATED)
    with pytest.raises(IllegalTransition):
        ledger.transition(e.file_id, LedgerState.LOADED, expected_batch_id="nope")
    with pytest.raises(IllegalTransition):
        ledger.transition("landing/never#seen", LedgerState.VALIDATED)
    entry = ledger.get(e.file_id)
    assert entry is not None and entry.state == LedgerState.QUARANTINED and entry.reason == "wrong_header"


def test_mark_loaded_rejects_files_of_another_batch(store: BatchStore, ledger: Ledger) -> None:
    validated(ledger, 2)
    first = store.claim(1)
    second = store.claim(1)
    assert first and second and first.batch_seq < second.batch_seq
    with pytest.raises(IllegalTransition):
        store.mark_loaded(first.batch_id, list(second.file_ids))
    assert ledger.get(second.file_ids[0]).state == LedgerState.CLAIMED  # type: ignore[union-attr]


def test_batch_policy_count_and_age(store: BatchStore, ledger: Ledger) -> None:
    validated(ledger, 3)
    assert store.claim(10, min_files=5) is None  # not enough, no age limit
    assert store.claim(10, min_files=5, max_age_s=3600) is None  # not old enough
    batch = store.claim(10, min_files=5, max_age_s=0)  # old enough
    assert batch is not None and batch.file_count == 3
    assert store.claim(10) is None  # nothing left


def test_files_in_batch_and_release(store: BatchStore, ledger: Ledger) -> None:
    ids = validated(ledger, 5)
    batch = store.claim(3)
    assert batch is not None
    assert sorted(e.file_id for e in store.files_in_batch(batch.batch_id)) == sorted(batch.file_ids)
    assert store.release(batch.batch_id) == 3
    assert store.release(batch.batch_id) == 0  # replay
    assert store.get(batch.batch_id).state == BatchState.FAILED  # type: ignore[union-attr]
    again = store.claim(10)
    assert again is not None and sorted(again.file_ids) == sorted(ids)


def test_a_claimer_with_a_stale_view_never_takes_a_claimed_file(
    store: BatchStore, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two claimers race: A reads the VALIDATED files, B claims some of them, then A claims from
    its stale view. The conditional claim must skip B's files. (Interleaved by hand: moto's
    in-memory DynamoDB does not make a condition check and its write atomic across threads.)"""
    ids = validated(ledger, 10)
    stale_view = store.waiting(10)
    first = store.claim(6)
    monkeypatch.setattr(store, "waiting", lambda *args: stale_view)
    second = store.claim(10)
    assert first is not None and second is not None
    assert not set(first.file_ids) & set(second.file_ids)
    assert sorted(first.file_ids + second.file_ids) == sorted(ids)
    assert first.batch_seq < second.batch_seq
    for batch in (first, second):
        assert {e.batch_id for e in store.files_in_batch(batch.batch_id)} == {batch.batch_id}


def test_sequential_claims_take_every_file_once(store: BatchStore, ledger: Ledger) -> None:
    ids = validated(ledger, 23)
    got = []
    while batch := store.claim(5):
        got.append(batch)
    assert [b.file_count for b in got] == [5, 5, 5, 5, 3]
    assert sorted(f for b in got for f in b.file_ids) == sorted(ids)
    assert [b.batch_seq for b in got] == sorted({b.batch_seq for b in got})


def test_sequencer_orders_events_of_one_key(ledger: Ledger) -> None:
    old = event("orders/k.csv", "v1", seq="0055AA00", etag="e1")
    new = event("orders/k.csv", "v2", seq="0055AA01", etag="e2")
    assert ledger.order_event(new).order == EventOrder.NEWEST
    assert ledger.order_event(old).order == EventOrder.OLDER  # arrived late
    assert ledger.order_event(new).order == EventOrder.NEWEST  # replay of the newest
    same = event("orders/k.csv", "v3", seq="0055AA02", etag="e2")
    decision = ledger.order_event(same)
    assert decision.order == EventOrder.DUPLICATE and decision.previous_file_id == new.file_id
    assert ledger.order_event(same).order == EventOrder.DUPLICATE  # idempotent answer


def test_equal_sequencers_are_resolved_by_the_tie_breaker(ledger: Ledger) -> None:
    """moto sends one constant sequencer: the tie is broken by the bucket's version order."""
    v1 = event("orders/t.csv", "v1", seq="617F08299329D189", etag="e1")
    v2 = event("orders/t.csv", "v2", seq="617F08299329D189", etag="e2")
    newer = {v1.file_id: {v2.file_id}, v2.file_id: set()}  # other -> versions newer than it
    breaker = lambda e: lambda other: e.file_id in newer[other]  # noqa: E731
    assert ledger.order_event(v2, tie_breaker=breaker(v2)).order == EventOrder.NEWEST
    assert ledger.order_event(v1, tie_breaker=breaker(v1)).order == EventOrder.OLDER
    assert ledger.order_event(v2, tie_breaker=breaker(v2)).order == EventOrder.NEWEST
    assert ledger.order_event(v1).order != EventOrder.NEWEST


def test_sequencers_of_different_lengths_compare_after_padding() -> None:
    assert normalize_sequencer("0055AA") > normalize_sequencer("0055A9FFFF")  # type: ignore[operator]


def test_reconciliation_is_stored_with_the_batch(store: BatchStore, ledger: Ledger) -> None:
    validated(ledger, 1)
    batch = store.claim(5)
    assert batch is not None
    store.record_reconciliation(batch.batch_id, rows_in=10, accepted=7, quarantined=2, duplicates=1)
    stored = store.get(batch.batch_id)
    assert stored is not None
    assert stored.reconciliation == {
        "rows_in": 10,
        "accepted": 7,
        "quarantined": 2,
        "duplicates": 1,
        "balanced": 1,
    }


def test_a_scheduled_run_opens_an_empty_batch_only_when_asked(store: BatchStore, ledger: Ledger) -> None:
    assert store.claim(10) is None
    scheduled = store.claim(10, allow_empty=True)
    assert scheduled is not None and scheduled.file_ids == ()
    validated(ledger, 2)
    with_files = store.claim(10, allow_empty=True)
    assert with_files is not None and len(with_files.file_ids) == 2
    assert with_files.batch_seq == scheduled.batch_seq + 1  # still one monotonic sequence


def test_a_named_claim_is_idempotent_and_records_an_empty_batch(store: BatchStore, ledger: Ledger) -> None:
    empty = store.claim(10, batch_id="tick-1")
    assert empty is not None and empty.state == BatchState.EMPTY and empty.file_ids == ()
    ids = validated(ledger, 3)
    batch = store.claim(10, batch_id="tick-2")
    assert batch is not None and sorted(batch.file_ids) == sorted(ids) and batch.state == BatchState.CLAIMED
    validated(ledger, 2, prefix="orders/late")
    again = store.claim(10, batch_id="tick-2")  # a retried claim of the same execution
    assert again == batch  # nothing claimed twice, the late files stay for the next batch
    assert len(store.waiting(10)) == 2


def test_a_claim_that_crashed_in_claiming_resumes_with_its_files(store: BatchStore, ledger: Ledger) -> None:
    ids = validated(ledger, 4)
    store.client.put_item(  # a claim that died after taking two files, before recording them
        TableName=store.table_name,
        Item={"pk": {"S": "batch#crashed"}, "sk": {"S": "meta"}, "batch_id": {"S": "crashed"},
              "batch_seq": {"N": "7"}, "state": {"S": "CLAIMING"}, "created_at": {"S": "2026-01-01T00:00:00Z"}},
    )  # fmt: skip
    assert ledger.claim(ids[0], "crashed") and ledger.claim(ids[1], "crashed")
    batch = store.claim(10, batch_id="crashed")
    assert batch is not None and batch.batch_seq == 7 and sorted(batch.file_ids) == sorted(ids)
    assert {e.batch_id for e in store.files_in_batch("crashed")} == {"crashed"}


def test_the_ledger_claim_is_one_conditional_transition(ledger: Ledger) -> None:
    fid = validated(ledger, 1)[0]
    assert ledger.claim(fid, "b1") is True
    assert ledger.claim(fid, "b2") is False  # lost: already claimed by b1
    entry = ledger.get(fid)
    assert entry is not None and entry.batch_id == "b1" and entry.state == LedgerState.CLAIMED


def test_the_pipeline_lock_has_one_holder(store: BatchStore) -> None:
    assert store.acquire_lock("exec-a", lease_s=60)
    assert store.acquire_lock("exec-a", lease_s=60)  # a retried claim of the holder
    assert not store.acquire_lock("exec-b", lease_s=60)
    assert store.lock_holder() == "exec-a"
    assert not store.release_lock("exec-b")
    assert store.release_lock("exec-a")
    assert store.lock_holder() is None
    assert store.acquire_lock("exec-b", lease_s=-1)  # an expired lease...
    assert store.acquire_lock("exec-c", lease_s=60)  # ...is taken over
