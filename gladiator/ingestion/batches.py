"""Micro-batches of VALIDATED files, and starting the pipeline run of a batch.

A batch item lives in the job-state table (pk ``batch#<batch_id>``, sk ``meta``) with a
``batch_seq`` taken from an atomic counter (pk ``counter``, sk ``batch``): sequence numbers only
grow, so they can serve as Delta ``txnVersion``. A sequence number lost to a crash or to an empty
claim leaves a gap, never a reuse.

Claim protocol: (1) read the oldest VALIDATED files from the by_state index (may be stale);
(2) take a sequence number and write the batch item as CLAIMING; (3) claim each file with a
conditional write ``state = VALIDATED`` (a file another claimer took is skipped); (4) store the
claimed file ids and set the batch CLAIMED (or EMPTY). The run is started by ``start_pipeline``
with an execution name derived from the batch id, so starting it twice runs it once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from gladiator.errors import IllegalTransition
from gladiator.ingestion import dynamo
from gladiator.ingestion.model import Batch, BatchState, LedgerEntry, LedgerState, iso, utc_now
from gladiator.pipeline import execution_name

if TYPE_CHECKING:
    from gladiator.ingestion.ledger import Ledger

log = logging.getLogger(__name__)

WRITE_WORKERS = 8  # parallel conditional writes per claim / mark_loaded (boto3 clients are thread-safe)
COUNTER_KEY = {"pk": {"S": "counter"}, "sk": {"S": "batch"}}


@dataclass(frozen=True, kw_only=True)
class BatchPolicy:
    """When to cut a batch: ``min_files`` waiting, or the oldest waiting ``max_age_s`` seconds;
    never more than ``max_files`` per batch."""

    max_files: int = 200
    min_files: int = 1
    max_age_s: float | None = None


def _batch_key(batch_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"batch#{batch_id}"}, "sk": {"S": "meta"}}


def next_batch_seq(ledger: Ledger) -> int:
    """Atomically increment and return the batch counter (1, 2, 3, ...)."""
    response = ledger.client.update_item(
        TableName=ledger.job_state_table,
        Key=COUNTER_KEY,
        UpdateExpression="ADD batch_seq :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["batch_seq"]["N"])


def _candidates(ledger: Ledger, max_files: int, entity: str | None) -> list[LedgerEntry]:
    out: list[LedgerEntry] = []
    for entry in ledger.entries(LedgerState.VALIDATED, page_size=max(max_files, 25)):
        if entity is None or entry.entity == entity:
            out.append(entry)
            if len(out) >= max_files:
                break
    return out


def _age_s(entry: LedgerEntry, now: datetime) -> float:
    changed = datetime.fromisoformat((entry.state_changed_at or iso(now)).replace("Z", "+00:00"))
    return (now - changed).total_seconds()


def claim_batch(
    ledger: Ledger,
    max_files: int,
    *,
    min_files: int = 1,
    max_age_s: float | None = None,
    entity: str | None = None,
    allow_empty: bool = False,
) -> Batch | None:
    """See ``Ledger.claim_batch``."""
    if max_files < 1:
        raise ValueError("max_files must be >= 1")
    now = utc_now()
    candidates = _candidates(ledger, max_files, entity)
    if not candidates and not allow_empty:
        return None
    if candidates:
        old_enough = max_age_s is not None and _age_s(candidates[0], now) >= max_age_s
        if len(candidates) < min_files and not old_enough:
            return None
    seq = next_batch_seq(ledger)
    batch_id = f"{seq:08d}-{now:%Y%m%dT%H%M%S}"
    created_at = iso(now)
    ledger.client.put_item(
        TableName=ledger.job_state_table,
        Item={
            **_batch_key(batch_id),
            **dynamo.to_item(
                {
                    "batch_id": batch_id,
                    "batch_seq": seq,
                    "state": BatchState.CLAIMING.value,
                    "created_at": created_at,
                }
            ),
        },
        ConditionExpression="attribute_not_exists(pk)",
    )
    with ThreadPoolExecutor(max_workers=WRITE_WORKERS) as pool:  # distinct items: order does not matter
        won = list(pool.map(lambda e: _claim_file(ledger, e.file_id, batch_id), candidates))
    claimed = [e for e, ok in zip(candidates, won, strict=True) if ok]
    state = BatchState.CLAIMED if claimed or allow_empty else BatchState.EMPTY
    entities = sorted({e.entity for e in claimed if e.entity})
    ledger.client.update_item(
        TableName=ledger.job_state_table,
        Key=_batch_key(batch_id),
        UpdateExpression="SET #s = :s, file_ids = :f, file_count = :n, entities = :e, state_changed_at = :now",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues=dynamo.to_item(
            {
                ":s": state.value,
                ":f": [e.file_id for e in claimed],
                ":n": len(claimed),
                ":e": entities,
                ":now": iso(utc_now()),
            }
        ),
    )
    if not claimed and not allow_empty:
        return None
    return Batch(
        batch_id=batch_id,
        batch_seq=seq,
        state=state,
        file_ids=tuple(e.file_id for e in claimed),
        created_at=created_at,
        entities=tuple(entities),
    )


def _claim_file(ledger: Ledger, file_id: str, batch_id: str) -> bool:
    """VALIDATED -> CLAIMED(batch_id) if still VALIDATED; False if another claimer won."""
    now = iso(utc_now())
    try:
        ledger.client.update_item(
            TableName=ledger.table_name,
            Key={"file_id": {"S": file_id}},
            UpdateExpression=(
                "SET #s = :c, batch_id = :b, state_changed_at = :now, "
                "history = list_append(if_not_exists(history, :empty), :h)"
            ),
            ConditionExpression="#s = :v",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues=dynamo.to_item(
                {
                    ":c": LedgerState.CLAIMED.value,
                    ":v": LedgerState.VALIDATED.value,
                    ":b": batch_id,
                    ":now": now,
                    ":empty": [],
                    ":h": [{"state": LedgerState.CLAIMED.value, "at": now, "batch_id": batch_id}],
                }
            ),
        )
        return True
    except ledger.client.exceptions.ConditionalCheckFailedException:
        return False


def get_batch(ledger: Ledger, batch_id: str) -> Batch | None:
    item = ledger.client.get_item(
        TableName=ledger.job_state_table, Key=_batch_key(batch_id), ConsistentRead=True
    ).get("Item")
    return Batch.from_item(dynamo.from_item(item)) if item else None


def list_batches(ledger: Ledger) -> list[Batch]:
    """Every batch, by batch_seq (a scan: for the CLI and tests, not the hot path)."""
    out = []
    for page in ledger.client.get_paginator("scan").paginate(
        TableName=ledger.job_state_table,
        FilterExpression="begins_with(pk, :p) AND sk = :m",
        ExpressionAttributeValues={":p": {"S": "batch#"}, ":m": {"S": "meta"}},
    ):
        out += [Batch.from_item(dynamo.from_item(i)) for i in page.get("Items", [])]
    return sorted(out, key=lambda b: b.batch_seq)


def files_in_batch(ledger: Ledger, batch_id: str) -> list[LedgerEntry]:
    batch = get_batch(ledger, batch_id)
    if batch is None:
        raise KeyError(f"no batch {batch_id!r} in {ledger.job_state_table}")
    return ledger.get_many(list(batch.file_ids))


def _set_batch_state(
    ledger: Ledger, batch_id: str, state: BatchState, allowed: tuple[BatchState, ...]
) -> bool:
    values: dict[str, Any] = {":s": state.value, ":now": iso(utc_now())}
    for i, a in enumerate(allowed):
        values[f":a{i}"] = a.value
    try:
        ledger.client.update_item(
            TableName=ledger.job_state_table,
            Key=_batch_key(batch_id),
            UpdateExpression="SET #s = :s, state_changed_at = :now",
            ConditionExpression=f"#s IN ({', '.join(f':a{i}' for i in range(len(allowed)))})",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues=dynamo.to_item(values),
        )
        return True
    except ledger.client.exceptions.ConditionalCheckFailedException:
        return False


def mark_loaded(ledger: Ledger, batch_id: str, file_ids: list[str] | None = None) -> int:
    batch = get_batch(ledger, batch_id)
    if batch is None:
        raise KeyError(f"no batch {batch_id!r} in {ledger.job_state_table}")
    targets = list(batch.file_ids) if file_ids is None else list(file_ids)

    def load(file_id: str) -> bool | str:
        try:
            return ledger.transition(file_id, LedgerState.LOADED, expected_batch_id=batch_id)
        except IllegalTransition as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=WRITE_WORKERS) as pool:
        results = list(pool.map(load, targets))
    moved = sum(1 for r in results if r is True)
    illegal = [r for r in results if isinstance(r, str)]
    entries = ledger.get_many(list(batch.file_ids))
    if entries and all(e.state == LedgerState.LOADED for e in entries):
        _set_batch_state(ledger, batch_id, BatchState.LOADED, (BatchState.CLAIMED, BatchState.STARTED))
    if illegal:
        raise IllegalTransition(
            f"batch {batch_id}: {len(illegal)} file(s) not loadable: " + "; ".join(illegal)
        )
    return moved


def release_batch(ledger: Ledger, batch_id: str) -> int:
    """A failed run gives its unloaded files back (CLAIMED -> VALIDATED) for a later batch and
    marks the batch FAILED. Returns how many files were released."""
    released = 0
    for entry in files_in_batch(ledger, batch_id):
        if entry.state == LedgerState.CLAIMED and entry.batch_id == batch_id:
            released += ledger.transition(entry.file_id, LedgerState.VALIDATED, expected_batch_id=batch_id)
    _set_batch_state(
        ledger, batch_id, BatchState.FAILED, (BatchState.CLAIMING, BatchState.CLAIMED, BatchState.STARTED)
    )
    return released


def record_reconciliation(
    ledger: Ledger, batch_id: str, *, rows_in: int, accepted: int, quarantined: int, duplicates: int
) -> None:
    """Store the run's counts on the batch (rows in = accepted + quarantined + duplicates)."""
    ledger.client.update_item(
        TableName=ledger.job_state_table,
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


# --- starting the pipeline run of a batch --------------------------------------------------
class PipelineStarter(Protocol):
    def __call__(self, batch: Batch) -> str:
        """Start (at most once) the run of ``batch``; return its run id / execution ARN."""
        ...


class StepFunctionsStarter:
    """AWS adapter: ``StartExecution`` named ``execution_name(batch_id)``. A second start of the
    same batch hits ``ExecutionAlreadyExists`` and is a no-op returning the existing ARN."""

    def __init__(self, state_machine_arn: str, client: Any) -> None:
        self.state_machine_arn = state_machine_arn
        self.client = client

    def __call__(self, batch: Batch) -> str:
        name = execution_name(batch.batch_id)
        payload = json.dumps({"batch_id": batch.batch_id, "batch_seq": batch.batch_seq})
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=payload
            )
            return str(response["executionArn"])
        except self.client.exceptions.ExecutionAlreadyExists:
            arn = self.state_machine_arn.replace(":stateMachine:", ":execution:")
            return f"{arn}:{name}"


class LocalStarter:
    """Local adapter: calls ``run(batch)`` (e.g. local_emulation.runner) in-process."""

    def __init__(self, run: Callable[[Batch], object]) -> None:
        self.run = run

    def __call__(self, batch: Batch) -> str:
        self.run(batch)
        return execution_name(batch.batch_id)


def start_pipeline(ledger: Ledger, batch: Batch, starter: PipelineStarter) -> str:
    """Start ``batch``'s pipeline run and mark the batch STARTED. Safe to repeat: the starter is
    idempotent by execution name, and the state change is conditional."""
    run_id = starter(batch)
    _set_batch_state(ledger, batch.batch_id, BatchState.STARTED, (BatchState.CLAIMED,))
    log.info(
        "batch %s (seq %d, %d files) started as %s", batch.batch_id, batch.batch_seq, batch.file_count, run_id
    )
    return run_id


def claim_and_start(
    ledger: Ledger, policy: BatchPolicy, starter: PipelineStarter | None = None
) -> list[Batch]:
    """Cut batches per ``policy`` until no more are due; start each one if a starter is given."""
    out = []
    while batch := claim_batch(
        ledger, policy.max_files, min_files=policy.min_files, max_age_s=policy.max_age_s
    ):
        if starter is not None:
            start_pipeline(ledger, batch, starter)
        out.append(batch)
    return out
