"""Micro-batches of VALIDATED files: the one owner of the batch items of the job-state table.

Items (job-state table ``resources.JOB_STATE``):
- pk ``batch#<batch_id>``, sk ``meta``: the batch (``batch_seq``, state, file ids, entities,
  reconciliation). Run and reconciliation items of the same pk belong to ``gladiator.runs``;
- pk ``counter``, sk ``batch``: the atomic batch counter. Sequence numbers only grow, so they
  serve as Delta ``txnVersion``; a number lost to a crash or a lost race leaves a gap, never a reuse;
- pk ``lock``, sk ``pipeline``: the pipeline lock, held by the one execution that may process a
  batch (``acquire_lock``): at most one batch runs at a time.

Claim protocol (``BatchStore.claim``): (1) read the oldest VALIDATED files from the by_state
index (may be stale); (2) take a sequence number and create the batch item as CLAIMING,
conditionally on it not existing; (3) claim each file with ``Ledger.claim`` (a conditional write:
a file another claimer took is skipped); (4) store the claimed file ids and set the batch CLAIMED
(or EMPTY). A claim naming an existing batch is idempotent: a finished claim returns the stored
batch unchanged, and one that crashed in CLAIMING resumes (its files are found through the
by_batch index), so a retried claim never claims anything twice.

Dependencies run one way: this module uses ``Ledger`` (the ledger table) and never the reverse.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from gladiator.errors import IllegalTransition
from gladiator.ingestion import dynamo
from gladiator.ingestion.ledger import Ledger
from gladiator.ingestion.model import Batch, BatchState, LedgerEntry, LedgerState, iso, utc_now
from gladiator.timestamps import parse_iso

log = logging.getLogger(__name__)

WRITE_WORKERS = 8  # parallel conditional writes per claim / mark_loaded (boto3 clients are thread-safe)
COUNTER_KEY = {"pk": {"S": "counter"}, "sk": {"S": "batch"}}
LOCK_KEY = {"pk": {"S": "lock"}, "sk": {"S": "pipeline"}}


def _batch_key(batch_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"batch#{batch_id}"}, "sk": {"S": "meta"}}


def _age_s(entry: LedgerEntry, now: datetime) -> float:
    changed = parse_iso(entry.state_changed_at or iso(now))
    return (now - changed).total_seconds()


class BatchStore:
    """Batches of the job-state table ``table_name``, claiming files of ``ledger``.

    ``client`` is a low-level boto3 DynamoDB client (created from the settings when omitted).
    """

    def __init__(self, table_name: str, ledger: Ledger, client: Any | None = None) -> None:
        self.table_name = table_name
        self.ledger = ledger
        self.client = dynamo.default_client(client)

    # --- reads -----------------------------------------------------------------------------
    def get(self, batch_id: str) -> Batch | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_batch_key(batch_id), ConsistentRead=True
        ).get("Item")
        return Batch.from_item(dynamo.from_item(item)) if item else None

    def all(self) -> list[Batch]:
        """Every batch, by batch_seq (a scan: for the CLI and tests, not the hot path)."""
        out = []
        for page in self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression="begins_with(pk, :p) AND sk = :m",
            ExpressionAttributeValues={":p": {"S": "batch#"}, ":m": {"S": "meta"}},
        ):
            out += [Batch.from_item(dynamo.from_item(i)) for i in page.get("Items", [])]
        return sorted(out, key=lambda b: b.batch_seq)

    def files_in_batch(self, batch_id: str) -> list[LedgerEntry]:
        """The ledger entries claimed by ``batch_id`` (consistent reads)."""
        batch = self.get(batch_id)
        if batch is None:
            raise KeyError(f"no batch {batch_id!r} in {self.table_name}")
        return self.ledger.get_many(list(batch.file_ids))

    def waiting(self, max_files: int, entity: str | None = None) -> list[LedgerEntry]:
        """Up to ``max_files`` VALIDATED files, oldest first (GSI by_state: may be stale)."""
        out: list[LedgerEntry] = []
        for entry in self.ledger.entries(LedgerState.VALIDATED, page_size=max(max_files, 25)):
            if entity is None or entry.entity == entity:
                out.append(entry)
                if len(out) >= max_files:
                    break
        return out

    # --- the claim -------------------------------------------------------------------------
    def next_seq(self) -> int:
        """Atomically increment and return the batch counter (1, 2, 3, ...)."""
        response = self.client.update_item(
            TableName=self.table_name,
            Key=COUNTER_KEY,
            UpdateExpression="ADD batch_seq :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["batch_seq"]["N"])

    def claim(
        self,
        max_files: int,
        *,
        batch_id: str | None = None,
        min_files: int = 1,
        max_age_s: float | None = None,
        entity: str | None = None,
        allow_empty: bool = False,
    ) -> Batch | None:
        """Claim up to ``max_files`` VALIDATED files (oldest first) into a batch, or None.

        Without ``batch_id`` a new batch ``<seq>-<time>`` is formed when at least ``min_files``
        are waiting, or when the oldest has waited ``max_age_s`` seconds. With ``batch_id`` (a
        state machine execution's batch) the batch is always recorded, EMPTY when nothing was
        claimed, and the claim is idempotent on that name. Every file claim is conditional, so
        concurrent claimers never share a file. ``allow_empty`` opens a CLAIMED batch even with
        no file (a manual OLTP-only run).
        """
        if max_files < 1:
            raise ValueError("max_files must be >= 1")
        named = batch_id is not None
        if batch_id is not None:
            existing = self.get(batch_id)
            if existing is not None and existing.state != BatchState.CLAIMING:
                return existing  # a replayed claim: nothing is claimed twice
        now = utc_now()
        candidates = self.waiting(max_files, entity)
        if batch_id is None:
            if not candidates and not allow_empty:
                return None
            old_enough = (
                bool(candidates) and max_age_s is not None and _age_s(candidates[0], now) >= max_age_s
            )
            if candidates and len(candidates) < min_files and not old_enough:
                return None
        batch_id, seq, created_at, resumed = self._open(batch_id, now)
        with ThreadPoolExecutor(max_workers=WRITE_WORKERS) as pool:  # distinct items: order does not matter
            won = list(pool.map(lambda e: self.ledger.claim(e.file_id, batch_id), candidates))
        claimed = {e.file_id: e for e in resumed} | {
            e.file_id: e for e, ok in zip(candidates, won, strict=True) if ok
        }
        state = BatchState.CLAIMED if claimed or allow_empty else BatchState.EMPTY
        entities = sorted({e.entity for e in claimed.values() if e.entity})
        self.client.update_item(
            TableName=self.table_name,
            Key=_batch_key(batch_id),
            UpdateExpression="SET #s = :s, file_ids = :f, file_count = :n, entities = :e, state_changed_at = :now",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues=dynamo.to_item(
                {
                    ":s": state.value,
                    ":f": sorted(claimed),
                    ":n": len(claimed),
                    ":e": entities,
                    ":now": iso(utc_now()),
                }
            ),
        )
        batch = Batch(
            batch_id=batch_id,
            batch_seq=seq,
            state=state,
            file_ids=tuple(sorted(claimed)),
            created_at=created_at,
            entities=tuple(entities),
        )
        return batch if claimed or allow_empty or named else None  # unnamed and lost every race

    def _open(self, batch_id: str | None, now: datetime) -> tuple[str, int, str, list[LedgerEntry]]:
        """Create the CLAIMING batch item; (batch id, seq, created_at, files already claimed by it).

        If ``batch_id`` is already CLAIMING (a claim that crashed), its sequence number is kept
        and the files it had claimed are found again."""
        seq = self.next_seq()
        name = batch_id or f"{seq:08d}-{now:%Y%m%dT%H%M%S}"
        created_at = iso(now)
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **_batch_key(name),
                    **dynamo.to_item(
                        {
                            "batch_id": name,
                            "batch_seq": seq,
                            "state": BatchState.CLAIMING.value,
                            "created_at": created_at,
                        }
                    ),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
            return name, seq, created_at, []
        except self.client.exceptions.ConditionalCheckFailedException:
            existing = self.get(name)
            assert existing is not None  # the condition failed because it exists
            if existing.state != BatchState.CLAIMING:
                raise IllegalTransition(f"batch {name} is {existing.state}: its claim is over") from None
            log.warning("batch %s: resuming a claim left in CLAIMING (seq %d lost)", name, seq)
            resumed = [e for e in self.ledger.claimed_by(name) if e.state == LedgerState.CLAIMED]
            return name, existing.batch_seq, existing.created_at, resumed

    # --- batch states ----------------------------------------------------------------------
    def set_state(
        self, batch_id: str, state: BatchState, allowed: tuple[BatchState, ...], **extra: Any
    ) -> bool:
        """Move the batch to ``state`` if it is in one of ``allowed``; False otherwise."""
        values: dict[str, Any] = {":s": state.value, ":now": iso(utc_now())}
        sets = ["#s = :s", "state_changed_at = :now"]
        for name, value in extra.items():
            sets.append(f"{name} = :x_{name}")
            values[f":x_{name}"] = value
        for i, a in enumerate(allowed):
            values[f":a{i}"] = a.value
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=_batch_key(batch_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"#s IN ({', '.join(f':a{i}' for i in range(len(allowed)))})",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues=dynamo.to_item(values),
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def mark_started(self, batch_id: str, execution: str) -> bool:
        """CLAIMED -> STARTED, recording the run (execution name or ARN) that processes it."""
        return self.set_state(batch_id, BatchState.STARTED, (BatchState.CLAIMED,), execution=execution)

    def mark_loaded(self, batch_id: str, file_ids: list[str] | None = None) -> int:
        """Move the batch's files (default: all) CLAIMED -> LOADED; idempotent. Returns how many
        moved now. Raises ``IllegalTransition`` (after applying the legal ones) if a file is not
        claimed by this batch. The batch becomes LOADED when all its files are."""
        batch = self.get(batch_id)
        if batch is None:
            raise KeyError(f"no batch {batch_id!r} in {self.table_name}")
        targets = list(batch.file_ids) if file_ids is None else list(file_ids)

        def load(file_id: str) -> bool | str:
            try:
                return self.ledger.transition(file_id, LedgerState.LOADED, expected_batch_id=batch_id)
            except IllegalTransition as exc:
                return str(exc)

        with ThreadPoolExecutor(max_workers=WRITE_WORKERS) as pool:
            results = list(pool.map(load, targets))
        moved = sum(1 for r in results if r is True)
        illegal = [r for r in results if isinstance(r, str)]
        entries = self.ledger.get_many(list(batch.file_ids))
        if entries and all(e.state == LedgerState.LOADED for e in entries):
            self.set_state(batch_id, BatchState.LOADED, (BatchState.CLAIMED, BatchState.STARTED))
        if illegal:
            raise IllegalTransition(
                f"batch {batch_id}: {len(illegal)} file(s) not loadable: " + "; ".join(illegal)
            )
        return moved

    def release(self, batch_id: str) -> int:
        """A failed run gives its unloaded files back (CLAIMED -> VALIDATED) for a later batch and
        marks the batch FAILED. Returns how many files were released; idempotent."""
        released = 0
        for entry in self.files_in_batch(batch_id):
            if entry.state == LedgerState.CLAIMED and entry.batch_id == batch_id:
                released += self.ledger.transition(
                    entry.file_id, LedgerState.VALIDATED, expected_batch_id=batch_id
                )
        self.set_state(
            batch_id, BatchState.FAILED, (BatchState.CLAIMING, BatchState.CLAIMED, BatchState.STARTED)
        )
        return released

    def record_reconciliation(
        self, batch_id: str, *, rows_in: int, accepted: int, quarantined: int, duplicates: int
    ) -> None:
        """Store the run's counts on the batch (rows in = accepted + quarantined + duplicates)."""
        self.client.update_item(
            TableName=self.table_name,
            Key=_batch_key(batch_id),
            UpdateExpression="SET reconciliation = :r",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=dynamo.to_item(
                {
                    ":r": {
                        "rows_in": rows_in,
                        "accepted": accepted,
                        "quarantined": quarantined,
                        "duplicates": duplicates,
                        "balanced": int(rows_in == accepted + quarantined + duplicates),
                    }
                }
            ),
        )

    def record_replay(self, batch_id: str, *, replay_id: str, accepted: int, dropped: int) -> bool:
        """Move ``accepted + dropped`` of the batch's quarantined rows, which replay ``replay_id``
        took out of quarantine, to ``accepted`` and ``duplicates`` (rows now passing whose version
        silver already held) in the stored reconciliation. ``rows_in`` is unchanged, so the batch
        stays balanced and a replayed row counts once. Once per replay (the item keeps the set of
        ``replays`` applied): True if applied now, False if already applied or the batch has no
        reconciliation."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=_batch_key(batch_id),
                UpdateExpression=(
                    "SET reconciliation.accepted = reconciliation.accepted + :a, "
                    "reconciliation.quarantined = reconciliation.quarantined - :n, "
                    "reconciliation.duplicates = reconciliation.duplicates + :d ADD replays :rids"
                ),
                ConditionExpression="attribute_exists(reconciliation) AND NOT contains(replays, :rid)",
                ExpressionAttributeValues={
                    **dynamo.to_item(
                        {":a": accepted, ":n": accepted + dropped, ":d": dropped, ":rid": replay_id}
                    ),
                    ":rids": {"SS": [replay_id]},
                },
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    # --- the pipeline lock -----------------------------------------------------------------
    def acquire_lock(self, holder: str, *, lease_s: float) -> bool:
        """Take the pipeline lock for ``holder`` (an execution name) for ``lease_s`` seconds.

        A conditional write: it succeeds if the lock is free, expired (a holder that died), or
        already held by ``holder`` (a retried claim). At most one holder processes a batch."""
        now = utc_now()
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **LOCK_KEY,
                    **dynamo.to_item(
                        {
                            "holder": holder,
                            "acquired_at": iso(now),
                            "expires_at": iso(now + timedelta(seconds=lease_s)),
                        }
                    ),
                },
                ConditionExpression="attribute_not_exists(pk) OR holder = :me OR expires_at < :now",
                ExpressionAttributeValues=dynamo.to_item({":me": holder, ":now": iso(now)}),
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def release_lock(self, holder: str) -> bool:
        """Free the pipeline lock if ``holder`` holds it; idempotent (False if it did not)."""
        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key=LOCK_KEY,
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def lock_holder(self) -> str | None:
        """The holder of an unexpired pipeline lock, or None when it is free."""
        item = self.client.get_item(TableName=self.table_name, Key=LOCK_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        lock = dynamo.from_item(item)
        return str(lock["holder"]) if str(lock["expires_at"]) >= iso(utc_now()) else None
