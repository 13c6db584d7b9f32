"""Ledger data model: file states, the allowed transitions, ledger entries and batches.

The per-file state machine (DESIGN §3)::

    RECEIVED -> VALIDATED -> CLAIMED(batch) -> LOADED
        \\-> QUARANTINED(reason)      CLAIMED -> VALIDATED (a failed batch releases its files)
                QUARANTINED -> VALIDATED (a replay found the file valid under the current contract)

A transition is applied only from one of its allowed source states (a DynamoDB conditional
write). A request whose target the file has already reached or passed is a replay (no-op); any
other request is an ``IllegalTransition``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Re-exported: the ledger and batch code take their timestamps from the model.
from gladiator.timestamps import iso as iso
from gladiator.timestamps import utc_now as utc_now


class LedgerState(StrEnum):
    RECEIVED = "RECEIVED"
    VALIDATED = "VALIDATED"
    CLAIMED = "CLAIMED"
    LOADED = "LOADED"
    QUARANTINED = "QUARANTINED"


# target -> the states it may be applied from
ALLOWED_FROM: dict[LedgerState, frozenset[LedgerState]] = {
    LedgerState.RECEIVED: frozenset(),  # only by registering a new file
    LedgerState.VALIDATED: frozenset({LedgerState.RECEIVED}),  # + CLAIMED -> VALIDATED: release, below
    LedgerState.CLAIMED: frozenset({LedgerState.VALIDATED}),
    LedgerState.LOADED: frozenset({LedgerState.CLAIMED}),
    LedgerState.QUARANTINED: frozenset({LedgerState.RECEIVED}),
}

# A failed batch releases its files: CLAIMED(batch) -> VALIDATED, only naming that batch.
RELEASE_FROM = LedgerState.CLAIMED
# A replay (gladiator.replay) gives a quarantined file that now passes validation back to the
# batches: QUARANTINED -> VALIDATED, only naming the replay run (``Ledger.replay_file``).
REPLAY_FROM = LedgerState.QUARANTINED

# Position on the happy path; a state at or past the target means "already done" (replay).
PATH_RANK: dict[LedgerState, int] = {
    LedgerState.RECEIVED: 0,
    LedgerState.VALIDATED: 1,
    LedgerState.CLAIMED: 2,
    LedgerState.LOADED: 3,
}


def is_replay(current: LedgerState, target: LedgerState) -> bool:
    """True when a file in ``current`` has already reached or passed ``target`` on its branch."""
    if target == LedgerState.QUARANTINED or current == LedgerState.QUARANTINED:
        return current == target
    return PATH_RANK[current] >= PATH_RANK[target]


class BatchState(StrEnum):
    CLAIMING = "CLAIMING"  # files being claimed (a crash here leaves a batch to release)
    CLAIMED = "CLAIMED"  # files claimed, pipeline not started yet
    STARTED = "STARTED"  # pipeline run started (execution name = execution_name(batch_id))
    LOADED = "LOADED"  # every file of the batch is LOADED
    FAILED = "FAILED"  # the run failed; its files were released to VALIDATED
    EMPTY = "EMPTY"  # lost every claim race: no files


def file_id_of(bucket: str, key: str, version_id: str | None, etag: str | None) -> str:
    """The ledger key: ``<bucket>/<key>#<versionId or eTag>`` (one id per object version)."""
    version = version_id if version_id and version_id != "null" else (etag or "").strip('"')
    return f"{bucket}/{key}#{version}"


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    """One file (object version) in the ledger; item shape documented in docs/HELPERS.md."""

    file_id: str
    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    size: int
    entity: str | None
    format: str | None
    state: LedgerState
    reason: str | None = None
    reason_detail: str | None = None
    batch_id: str | None = None
    sequencer: str | None = None
    received_at: str | None = None
    state_changed_at: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    replayed_by: str | None = None  # the replay run that gave this quarantined file back

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> LedgerEntry:
        return cls(
            file_id=item["file_id"],
            bucket=item["bucket"],
            key=item["key"],
            version_id=item.get("version_id"),
            etag=item.get("etag"),
            size=int(item.get("size", 0)),
            entity=item.get("entity"),
            format=item.get("format"),
            state=LedgerState(item["state"]),
            reason=item.get("reason"),
            reason_detail=item.get("reason_detail"),
            batch_id=item.get("batch_id"),
            sequencer=item.get("sequencer"),
            received_at=item.get("received_at"),
            state_changed_at=item.get("state_changed_at"),
            history=list(item.get("history", [])),
            replayed_by=item.get("replayed_by"),
        )


@dataclass(frozen=True, kw_only=True)
class Batch:
    """A micro-batch of claimed files; ``batch_seq`` is monotonic (Delta txnVersion)."""

    batch_id: str
    batch_seq: int
    state: BatchState
    file_ids: tuple[str, ...]
    created_at: str
    entities: tuple[str, ...] = ()
    reconciliation: dict[str, int] = field(default_factory=dict)

    @property
    def file_count(self) -> int:
        return len(self.file_ids)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Batch:
        return cls(
            batch_id=item["batch_id"],
            batch_seq=int(item["batch_seq"]),
            state=BatchState(item["state"]),
            file_ids=tuple(item.get("file_ids", [])),
            created_at=item["created_at"],
            entities=tuple(item.get("entities", [])),
            reconciliation={k: int(v) for k, v in item.get("reconciliation", {}).items()},
        )
