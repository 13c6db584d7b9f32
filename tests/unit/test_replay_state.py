"""Replay bookkeeping on moto in-process: the ledger's replay transitions, the batch
reconciliation moves, the open replay run that a crash leaves, and the request's filters."""

from __future__ import annotations

from collections import Counter

import pytest

from gladiator.errors import ConfigurationError, IllegalTransition
from gladiator.ingestion.batches import BatchStore
from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.model import LedgerState
from gladiator.ingestion.object_events import ObjectEvent
from gladiator.replay.files import FileReplay
from gladiator.replay.request import ReplayRequest
from gladiator.replay.store import EntityPlan, ReplayStore, batch_reconciliation
from gladiator.runs import RunStore


def quarantined(ledger: Ledger, key: str, reason: str = "file_too_large") -> str:
    event = ObjectEvent(bucket="landing", key=key, size=10, etag="e1", version_id="v1", sequencer=None)
    ledger.register(event, entity=key.split("/")[0], fmt="csv")
    ledger.transition(event.file_id, LedgerState.QUARANTINED, reason=reason, reason_detail="too big")
    return event.file_id


def test_a_replayed_file_is_validated_once_and_shows_it(store: BatchStore) -> None:
    ledger = store.ledger
    fid = quarantined(ledger, "orders/a.csv")
    assert ledger.replay_file(fid, replay_id="replay-1") is True
    entry = ledger.get(fid)
    assert entry is not None
    assert (entry.state, entry.replayed_by, entry.reason) == (LedgerState.VALIDATED, "replay-1", None)
    assert entry.history[-1]["previous_reason"] == "file_too_large"
    assert ledger.replay_file(fid, replay_id="replay-1") is False  # a retried replay: no change
    assert len(ledger.get(fid).history) == len(entry.history)  # type: ignore[union-attr]
    batch = store.claim(10)  # the next batch takes it like any VALIDATED file
    assert batch is not None and batch.file_ids == (fid,)
    with pytest.raises(IllegalTransition):
        ledger.replay_file(fid, replay_id="replay-2")  # only QUARANTINED files


def test_requarantine_rewrites_only_a_changed_reason(store: BatchStore) -> None:
    ledger = store.ledger
    fid = quarantined(ledger, "orders/b.csv", reason="header_only")
    before = ledger.get(fid)
    assert ledger.requarantine(fid, reason="header_only", reason_detail="x", replay_id="r1") is False
    assert ledger.get(fid) == before  # nothing written
    assert ledger.requarantine(fid, reason="wrong_header", reason_detail="line 1", replay_id="r1") is True
    entry = ledger.get(fid)
    assert entry is not None and (entry.state, entry.reason) == (LedgerState.QUARANTINED, "wrong_header")
    assert entry.history[-1]["replay_id"] == "r1"


def test_rows_replayed_are_noted_once_per_replay_on_loaded_files(store: BatchStore) -> None:
    ledger = store.ledger
    event = ObjectEvent(
        bucket="landing", key="orders/c.csv", size=1, etag="e", version_id="v", sequencer=None
    )
    ledger.register(event, entity="orders", fmt="csv")
    ledger.transition(event.file_id, LedgerState.VALIDATED)
    assert ledger.note_rows_replayed(event.file_id, replay_id="r1", rows=3) is False  # not LOADED
    batch = store.claim(10)
    assert batch is not None
    store.mark_loaded(batch.batch_id)
    assert ledger.note_rows_replayed(event.file_id, replay_id="r1", rows=3) is True
    assert ledger.note_rows_replayed(event.file_id, replay_id="r1", rows=3) is False
    assert ledger.note_rows_replayed(event.file_id, replay_id="r2", rows=1) is True
    history = ledger.get(event.file_id).history  # type: ignore[union-attr]
    assert [h.get("rows_replayed") for h in history if "rows_replayed" in h] == [3, 1]


def test_record_replay_moves_quarantined_rows_to_accepted_once(store: BatchStore) -> None:
    batch = store.claim(1, batch_id="b1", allow_empty=True)
    assert batch is not None
    assert store.record_replay("b1", replay_id="r1", accepted=1, dropped=0) is False  # no recon yet
    store.record_reconciliation("b1", rows_in=10, accepted=6, quarantined=3, duplicates=1)
    assert store.record_replay("b1", replay_id="r1", accepted=2, dropped=1) is True
    assert store.record_replay("b1", replay_id="r1", accepted=2, dropped=1) is False  # once per replay
    recon = store.get("b1").reconciliation  # type: ignore[union-attr]
    assert (recon["rows_in"], recon["accepted"], recon["quarantined"], recon["duplicates"]) == (10, 8, 0, 2)


def test_a_replay_run_left_open_is_resumed_with_its_request(store: BatchStore) -> None:
    replays = ReplayStore("t-jobs", store.client)
    assert replays.open_run() is None
    request = ReplayRequest.of(entities=["orders"], reasons=["out_of_domain"])
    run = replays.new_run(request, store)
    replays.mark_open(run)
    resumed = replays.open_run()
    assert resumed is not None and resumed.resumed
    assert (resumed.replay_id, resumed.seq, resumed.request) == (run.replay_id, run.seq, request)
    plan = EntityPlan(
        counts={"rows_in": 5, "accepted": 3, "quarantined": 1, "duplicates": 1, "stale": 0},
        reasons_changed=1,
        by_batch={"b1": [3, 1, 0]},
        by_file=[["b1", "s3://landing/orders/a.csv", 4]],
    )
    replays.put_plan(run.replay_id, "orders", plan)
    assert replays.get_plan(run.replay_id, "orders") == plan
    replays.finish(run, {"entities": {}})
    replays.finish(run, {"entities": {}})  # idempotent
    assert replays.open_run() is None
    assert replays.get_run(run.replay_id)["state"] == "SUCCEEDED"  # type: ignore[index]


def test_batch_reconciliation_applies_each_replays_moves(store: BatchStore) -> None:
    runs = RunStore("t-jobs", store.client)
    runs.put_counts(
        "b1",
        "silver",
        "orders",
        {"rows_in": 10, "accepted": 6, "quarantined": 3, "duplicates": 1, "stale": 0},
    )
    runs.put_counts("b1", "replay#r1", "orders", {"accepted": 2, "duplicates": 0, "stale": 1})
    (row,) = batch_reconciliation(runs, "b1")
    assert (row.rows_in, row.accepted, row.quarantined, row.duplicates, row.stale) == (10, 8, 0, 1, 1)
    assert row.balanced
    assert runs.reconciliation("b1") == [row]  # one reconciliation: status and quality show the same
    assert runs.get_counts("b1", "silver", "orders") == {  # the batch's own counts are kept
        "rows_in": 10, "accepted": 6, "quarantined": 3, "duplicates": 1, "stale": 0,
    }  # fmt: skip


def test_request_filters_round_trip_and_refuse_unknown_names() -> None:
    request = ReplayRequest.of(
        entities=["orders", "customer"], reasons=["out_of_domain"], batches=["b2", "b1"]
    )
    args = {k.removeprefix("--"): v for k, v in request.as_args().items()}
    assert ReplayRequest.from_args(args) == request
    assert ReplayRequest.from_args(request.as_record()) == request
    assert ReplayRequest.from_args({}) == ReplayRequest()
    assert request.wants_entity("orders") and not request.wants_entity("part")
    assert not request.wants_file("orders", "out_of_domain")  # a batch filter selects no file
    assert ReplayRequest.of(reasons=["empty_file"]).wants_file("orders", "empty_file")
    with pytest.raises(ConfigurationError, match="unknown entity returns"):
        ReplayRequest.of(entities=["returns"])
    with pytest.raises(ConfigurationError, match="unknown reason too_big"):
        ReplayRequest.of(reasons=["too_big"])


def test_a_resumed_run_reports_the_files_its_first_attempt_released(store: BatchStore) -> None:
    replays = ReplayStore("t-jobs", store.client)
    first = FileReplay(released=["landing/a#1"], still_quarantined=Counter({"header_only": 1}))
    replays.put_files("replay-1", first.as_dict())
    resumed = FileReplay(still_quarantined=Counter({"header_only": 1})).merge(replays.get_files("replay-1"))
    assert resumed.released == ["landing/a#1"]
    assert resumed.as_dict()["still_quarantined"] == {"header_only": 1}
    assert FileReplay().merge(replays.get_files("replay-2")).released == []  # nothing stored
