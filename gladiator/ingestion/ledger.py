"""The ingestion ledger: one DynamoDB item per object version, moved through the file state
machine (``gladiator.ingestion.model``) by conditional writes only.

Guarantees:
- registering the same object version twice is a no-op (``attribute_not_exists`` on file_id);
- a transition is applied only from an allowed source state; a request that the file has already
  satisfied (same or later state on its branch) is a replay and returns False;
- anything else raises ``IllegalTransition`` and changes nothing;
- per object key, the S3 ``sequencer`` is kept as a watermark item (file_id ``head:<bucket>/<key>``,
  no ``state``, so it is in neither index; a bucket name cannot contain ``:`` so it never collides
  with a file id), so an older event arriving late is recognised (``EventOrder.OLDER``) and never
  regresses anything. Keeping it in the ledger table means the Lambda needs no other table.

This module owns the ledger table and nothing else. Batches (the job-state table) are owned by
``gladiator.ingestion.batches.BatchStore``, which moves files with ``Ledger.claim`` and
``Ledger.transition``: dependencies run one way, batches -> ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gladiator import resources
from gladiator.errors import IllegalTransition
from gladiator.ingestion import dynamo
from gladiator.ingestion.model import (
    ALLOWED_FROM,
    RELEASE_FROM,
    REPLAY_FROM,
    LedgerEntry,
    LedgerState,
    is_replay,
    iso,
    utc_now,
)
from gladiator.ingestion.object_events import ObjectEvent

BY_STATE_INDEX = resources.LEDGER.indexes[0].name
BY_BATCH_INDEX = resources.LEDGER.indexes[1].name


class EventOrder(StrEnum):
    """Where an event stands among the events of its object key (by S3 sequencer)."""

    NEWEST = "newest"  # the latest event seen for the key (or a replay of it)
    OLDER = "older"  # a newer version of the key was seen first: this one is superseded
    DUPLICATE = "duplicate"  # the newest version, but byte-identical (eTag) to the version before it
    UNORDERED = "unordered"  # no sequencer in the event: ordering unknown


@dataclass(frozen=True)
class OrderDecision:
    order: EventOrder
    previous_file_id: str | None = None


class Ledger:
    """The file ledger (table ``resources.LEDGER``): one item per object version.

    ``client`` is a low-level boto3 DynamoDB client (created from the settings when omitted).
    """

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self.client = dynamo.default_client(client)

    # --- reads ---------------------------------------------------------------------------
    def get(self, file_id: str) -> LedgerEntry | None:
        """The entry of ``file_id`` (strongly consistent read), or None."""
        item = self.client.get_item(
            TableName=self.table_name, Key={"file_id": {"S": file_id}}, ConsistentRead=True
        ).get("Item")
        return LedgerEntry.from_item(dynamo.from_item(item)) if item else None

    def get_many(self, file_ids: list[str]) -> list[LedgerEntry]:
        """Entries of ``file_ids`` (BatchGetItem, consistent), in the order given; unknown ids omitted."""
        found: dict[str, LedgerEntry] = {}
        for start in range(0, len(file_ids), 100):
            keys: list[dict[str, Any]] = [{"file_id": {"S": f}} for f in file_ids[start : start + 100]]
            request = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.table_name, []):
                    entry = LedgerEntry.from_item(dynamo.from_item(item))
                    found[entry.file_id] = entry
                request = response.get("UnprocessedKeys") or {}
        return [found[f] for f in file_ids if f in found]

    def entries(
        self, state: LedgerState | str | None = None, *, page_size: int | None = None
    ) -> Iterator[LedgerEntry]:
        """Every entry, or those in ``state`` (GSI by_state, oldest state change first).

        ``page_size`` bounds each request, so a caller that stops early reads little."""
        paging = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}
        if state is None:
            pages = self.client.get_paginator("scan").paginate(
                TableName=self.table_name,
                FilterExpression="attribute_exists(#s)",  # not the per-key sequencer watermarks
                ExpressionAttributeNames={"#s": "state"},
                **paging,
            )
        else:
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                IndexName=BY_STATE_INDEX,
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":s": {"S": str(state)}},
                **paging,
            )
        for page in pages:
            for item in page.get("Items", []):
                yield LedgerEntry.from_item(dynamo.from_item(item))

    # --- ordering per object key -----------------------------------------------------------
    def order_event(
        self, event: ObjectEvent, *, tie_breaker: Callable[[str], bool] | None = None
    ) -> OrderDecision:
        """Record ``event`` in its key's sequencer watermark and say where it stands.

        The watermark (ledger item ``head:<bucket>/<key>``) holds the newest sequencer seen, its
        file_id and eTag, and the version before it; the update is conditional on the sequencer
        growing, so concurrent events for one key serialise here. Idempotent: replaying the newest
        event gives the same answer (the previous version is kept on the item).

        Real S3 never gives two events of one key the same sequencer, but emulators do (moto's is a
        constant). For such a tie between different versions, ``tie_breaker(other_file_id)`` says
        whether this event's version is the newer one (e.g. from the bucket's version listing);
        without one, a tie counts as UNORDERED (registered like a new file).
        """
        if not event.sequencer:
            return OrderDecision(EventOrder.UNORDERED)
        key = {"file_id": {"S": f"head:{event.bucket}/{event.key}"}}
        previous = self._advance_if_newer(key, event)  # the common case: one write, no read
        if previous is not False:
            assert not isinstance(previous, bool)
            return self._decide(event, previous.get("head_file_id"), previous.get("etag"))
        for _attempt in range(5):
            head = self._head(key)
            if head and head["head_file_id"] == event.file_id:
                return self._decide(event, head.get("prev_file_id"), head.get("prev_etag"))
            if head and head["sequencer"] > event.sequencer:
                return OrderDecision(EventOrder.OLDER, head["head_file_id"])
            if head and head["sequencer"] == event.sequencer:
                if tie_breaker is None:
                    return OrderDecision(EventOrder.UNORDERED, head["head_file_id"])
                if not tie_breaker(head["head_file_id"]):
                    return OrderDecision(EventOrder.OLDER, head["head_file_id"])
            if self._advance_head(key, event, head):
                return self._decide(event, (head or {}).get("head_file_id"), (head or {}).get("etag"))
        raise RuntimeError(f"{event.file_id}: sequencer watermark kept changing (5 attempts)")

    def _advance_if_newer(self, key: dict[str, Any], event: ObjectEvent) -> dict[str, Any] | bool:
        """Take the watermark if absent or strictly older; the old watermark ({} if none), or
        False when it is the same or newer (a replay, a tie or an older event: look closer)."""
        try:
            old = self.client.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression=(
                    "SET sequencer = :seq, head_file_id = :fid, etag = :etag, "
                    "prev_file_id = if_not_exists(head_file_id, :none), prev_etag = if_not_exists(etag, :none)"
                ),
                ConditionExpression="attribute_not_exists(file_id) OR sequencer < :seq",
                ExpressionAttributeValues=dynamo.to_item(
                    {":seq": event.sequencer, ":fid": event.file_id, ":etag": event.etag or "", ":none": ""}
                ),
                ReturnValues="ALL_OLD",
            ).get("Attributes")
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return dynamo.from_item(old) if old else {}

    def _head(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True).get("Item")
        return dynamo.from_item(item) if item else None

    def _advance_head(self, key: dict[str, Any], event: ObjectEvent, head: dict[str, Any] | None) -> bool:
        """Make ``event`` the key's newest version, if the watermark is still ``head``."""
        values: dict[str, Any] = {
            ":seq": event.sequencer,
            ":fid": event.file_id,
            ":etag": event.etag or "",
            ":pfid": head["head_file_id"] if head else "",
            ":petag": (head or {}).get("etag", ""),
        }
        if head:
            condition = "head_file_id = :old AND sequencer = :oldseq"
            values.update({":old": head["head_file_id"], ":oldseq": head["sequencer"]})
        else:
            condition = "attribute_not_exists(file_id)"
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression=(
                    "SET sequencer = :seq, head_file_id = :fid, etag = :etag, prev_file_id = :pfid, prev_etag = :petag"
                ),
                ConditionExpression=condition,
                ExpressionAttributeValues=dynamo.to_item(values),
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False  # another event moved the watermark: look again

    @staticmethod
    def _decide(event: ObjectEvent, prev_file_id: str | None, prev_etag: str | None) -> OrderDecision:
        if prev_file_id and prev_file_id != event.file_id and event.etag and prev_etag == event.etag:
            return OrderDecision(EventOrder.DUPLICATE, prev_file_id)
        return OrderDecision(EventOrder.NEWEST, prev_file_id or None)

    # --- writes ----------------------------------------------------------------------------
    def register(
        self, event: ObjectEvent, *, entity: str | None, fmt: str | None
    ) -> tuple[LedgerEntry, bool]:
        """Create the RECEIVED entry of ``event``'s object version; (entry, created).

        A second registration (a replayed or duplicated event) changes nothing and returns the
        stored entry with ``created=False``.
        """
        now = iso(utc_now())
        values = {
            "file_id": event.file_id,
            "bucket": event.bucket,
            "key": event.key,
            "version_id": event.version_id,
            "etag": event.etag,
            "size": event.size,
            "entity": entity,
            "format": fmt,
            "state": LedgerState.RECEIVED.value,
            "sequencer": event.sequencer,
            "event_time": event.event_time,
            "received_at": now,
            "state_changed_at": now,
            "history": [{"state": LedgerState.RECEIVED.value, "at": now}],
        }
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=dynamo.to_item(values),
                ConditionExpression="attribute_not_exists(file_id)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            existing = self.get(event.file_id)
            assert existing is not None  # the condition failed because it exists
            return existing, False
        return LedgerEntry.from_item(values), True

    def transition(
        self,
        file_id: str,
        target: LedgerState,
        *,
        reason: str | None = None,
        reason_detail: str | None = None,
        batch_id: str | None = None,
        expected_batch_id: str | None = None,
    ) -> bool:
        """Move ``file_id`` to ``target``; True if applied, False if it was a replay.

        Raises ``IllegalTransition`` (nothing written) when the file is unknown or in a state
        ``target`` cannot be reached from. ``expected_batch_id`` additionally requires the file to
        be claimed by that batch (LOADED, and releasing CLAIMED -> VALIDATED).
        """
        now = iso(utc_now())
        release = target == LedgerState.VALIDATED and expected_batch_id is not None
        sources = [RELEASE_FROM] if release else sorted(ALLOWED_FROM[target])
        if not sources:
            raise IllegalTransition(f"{file_id}: {target} can only be set by registering the file")
        history: dict[str, Any] = {"state": target.value, "at": now}
        sets = [
            "#s = :to",
            "state_changed_at = :now",
            "history = list_append(if_not_exists(history, :empty), :h)",
        ]
        removes: list[str] = []
        values: dict[str, Any] = {":to": target.value, ":now": now, ":empty": []}
        for name, value in (("reason", reason), ("reason_detail", reason_detail), ("batch_id", batch_id)):
            if value is not None:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = value
                history[name] = value
        if release:
            removes.append("batch_id")  # released by a failed batch: out of the by_batch index
        values[":h"] = [history]
        placeholders = []
        for i, source in enumerate(sources):
            values[f":f{i}"] = source.value
            placeholders.append(f":f{i}")
        condition = f"#s IN ({', '.join(placeholders)})"
        if expected_batch_id:
            condition += " AND batch_id = :expected_batch"
            values[":expected_batch"] = expected_batch_id
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"file_id": {"S": file_id}},
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(file_id) AND {condition}",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues=dynamo.to_item(values),
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            current = self.get(file_id)
            if current is None:
                raise IllegalTransition(f"{file_id}: not in the ledger, cannot move it to {target}") from None
            if release:
                if current.state == LedgerState.VALIDATED:
                    return False  # already released
            elif is_replay(current.state, target) and (
                expected_batch_id is None or current.batch_id == expected_batch_id
            ):
                return False
            raise IllegalTransition(
                f"{file_id}: cannot move from {current.state}"
                f"{f' (batch {current.batch_id})' if current.batch_id else ''} to {target}"
                f"{f' for batch {expected_batch_id}' if expected_batch_id else ''}"
            ) from None

    def claim(self, file_id: str, batch_id: str) -> bool:
        """VALIDATED -> CLAIMED(batch_id): the one claim transition. True if this call claimed
        the file; False if it was already claimed (by this or another batch: a lost race or a
        replay). Raises ``IllegalTransition`` for a file that can never be claimed."""
        return self.transition(file_id, LedgerState.CLAIMED, batch_id=batch_id)

    def claimed_by(self, batch_id: str) -> list[LedgerEntry]:
        """Every entry carrying ``batch_id`` (GSI by_batch; eventually consistent), e.g. to resume
        a claim that crashed before it recorded its files."""
        out: list[LedgerEntry] = []
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table_name,
            IndexName=BY_BATCH_INDEX,
            KeyConditionExpression="batch_id = :b",
            ExpressionAttributeValues={":b": {"S": batch_id}},
        )
        for page in pages:
            out += [LedgerEntry.from_item(dynamo.from_item(item)) for item in page.get("Items", [])]
        return out

    # --- replay (gladiator.replay) ------------------------------------------------------------
    def replay_file(self, file_id: str, *, replay_id: str) -> bool:
        """QUARANTINED -> VALIDATED for a file a replay found valid under the current contract;
        True if applied, False if this replay already did it (a retried replay).

        The item keeps its old reason in the history entry (``previous_reason``) and gains
        ``replayed_by``, so the ledger shows the file as replayed; the next batch claims it like
        any VALIDATED file, so its rows load through the normal path exactly once. Raises
        ``IllegalTransition`` for a file in any other state (nothing written)."""
        now = iso(utc_now())
        current = self.get(file_id)
        if current is None:
            raise IllegalTransition(f"{file_id}: not in the ledger, cannot replay it")
        if current.replayed_by == replay_id and current.state != LedgerState.QUARANTINED:
            return False
        entry = {
            "state": LedgerState.VALIDATED.value,
            "at": now,
            "replay_id": replay_id,
            "previous_reason": current.reason or "",
        }
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"file_id": {"S": file_id}},
                UpdateExpression=(
                    "SET #s = :to, state_changed_at = :now, replayed_by = :rid, "
                    "history = list_append(if_not_exists(history, :empty), :h) REMOVE reason, reason_detail"
                ),
                ConditionExpression="#s = :from",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues=dynamo.to_item(
                    {
                        ":to": LedgerState.VALIDATED.value,
                        ":from": REPLAY_FROM.value,
                        ":now": now,
                        ":rid": replay_id,
                        ":empty": [],
                        ":h": [entry],
                    }
                ),
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            raise IllegalTransition(
                f"{file_id}: cannot replay a file in state {current.state} (only {REPLAY_FROM} files)"
            ) from None

    def requarantine(self, file_id: str, *, reason: str, reason_detail: str, replay_id: str) -> bool:
        """Give a QUARANTINED file its current reason (a replay found it still invalid, for
        another reason than the stored one); True if the reason changed, False if it was already
        that reason (nothing written: replaying twice changes nothing)."""
        now = iso(utc_now())
        entry = {"state": LedgerState.QUARANTINED.value, "at": now, "reason": reason, "replay_id": replay_id}
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"file_id": {"S": file_id}},
                UpdateExpression=(
                    "SET reason = :r, reason_detail = :d, state_changed_at = :now, "
                    "history = list_append(if_not_exists(history, :empty), :h)"
                ),
                ConditionExpression="#s = :q AND (attribute_not_exists(reason) OR reason <> :r)",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues=dynamo.to_item(
                    {
                        ":q": LedgerState.QUARANTINED.value,
                        ":r": reason,
                        ":d": reason_detail,
                        ":now": now,
                        ":empty": [],
                        ":h": [entry],
                    }
                ),
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            current = self.get(file_id)
            if current is not None and current.state == LedgerState.QUARANTINED:
                return False
            raise IllegalTransition(
                f"{file_id}: cannot re-quarantine a file in state {current.state if current else 'unknown'}"
            ) from None

    def note_rows_replayed(self, file_id: str, *, replay_id: str, rows: int) -> bool:
        """Record on a LOADED file that a replay took ``rows`` of its quarantined rows out of
        quarantine (a history entry and ``replays``, the set of replay ids); once per replay:
        False if this replay already noted it."""
        now = iso(utc_now())
        entry = {"state": LedgerState.LOADED.value, "at": now, "replay_id": replay_id, "rows_replayed": rows}
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"file_id": {"S": file_id}},
                UpdateExpression=(
                    "SET history = list_append(if_not_exists(history, :empty), :h) ADD replays :rids"
                ),
                ConditionExpression="#s = :loaded AND NOT contains(replays, :rid)",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    **dynamo.to_item(
                        {":loaded": LedgerState.LOADED.value, ":empty": [], ":h": [entry], ":rid": replay_id}
                    ),
                    ":rids": {"SS": [replay_id]},
                },
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
