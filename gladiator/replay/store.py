"""The replay runs: their records in the job-state table, and the one open run that may resume.

Items (job-state table ``resources.JOB_STATE``):
- pk ``replay``, sk ``open``: the replay run in progress (id, sequence number, request). Created
  conditionally, deleted when the run finishes: a run that died half-way is found here and
  resumed by the next ``gladiator replay`` (same id, same ``txnVersion``, same request), so its
  Delta commits are not repeated and its counts are those of its first computation;
- pk ``batch#<replay_id>``, sk ``replay``: the run (request, state, started/finished, totals);
  its rule-level quality results and per-entity counts (``recon#silver#<entity>``) live in the
  same partition, like a batch's;
- pk ``batch#<replay_id>``, sk ``replay-files``: what the file step did (released files...);
- pk ``batch#<replay_id>``, sk ``replay#<entity>``: the entity's plan, written before its first
  Delta commit: counts, and which batches and landing files the rows leaving quarantine came
  from (a resumed run cannot recompute the split once silver holds the rows);
- pk ``batch#<original batch>``, sk ``recon#replay#<replay_id>#<entity>``: what the replay moved
  out of that batch's quarantine (``RunStore.put_counts`` with stage ``replay#<replay_id>``).

The sequence number comes from the batch counter (``BatchStore.next_seq``): it only grows, so it
serves as the replay's Delta ``txnVersion`` under its own app id.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from gladiator.ingestion import dynamo
from gladiator.ingestion.batches import BatchStore
from gladiator.replay.request import ReplayRequest
from gladiator.runs import EntityReconciliation, RunStore
from gladiator.timestamps import utc_now_iso

OPEN_KEY = {"pk": {"S": "replay"}, "sk": {"S": "open"}}
REPLAY_STAGE = "replay"  # per original batch: recon#replay#<replay_id>#<entity>


def _run_key(replay_id: str, sk: str = "replay") -> dict[str, Any]:
    return {"pk": {"S": f"batch#{replay_id}"}, "sk": {"S": sk}}


@dataclass(frozen=True, kw_only=True)
class ReplayRun:
    replay_id: str
    seq: int
    request: ReplayRequest
    started_at: str
    resumed: bool = False


@dataclass(frozen=True, kw_only=True)
class EntityPlan:
    """One entity's replay, fixed before its first Delta commit.

    ``counts``: rows re-checked (``rows_in``) = accepted + quarantined (still failing) +
    duplicates + stale (now valid, but silver already holds that version or a newer one);
    ``reasons_changed``: still-failing rows whose reason or detail is not the stored one;
    ``by_batch``: original batch -> [accepted, duplicates, stale] of the rows leaving quarantine;
    ``by_file``: [batch, source file, rows leaving quarantine].
    """

    counts: dict[str, int]
    reasons_changed: int = 0
    by_batch: dict[str, list[int]] = field(default_factory=dict)
    by_file: list[list[Any]] = field(default_factory=list)

    @property
    def leaving(self) -> int:
        return self.counts["rows_in"] - self.counts["quarantined"]


class ReplayStore:
    """Replay items of the job-state table ``table_name``; ``client``: low-level DynamoDB."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client

    def open_run(self) -> ReplayRun | None:
        """The unfinished replay run, if one died before finishing."""
        item = self.client.get_item(TableName=self.table_name, Key=OPEN_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        plain = dynamo.from_item(item)
        return ReplayRun(
            replay_id=plain["replay_id"],
            seq=int(plain["seq"]),
            request=ReplayRequest.from_args(plain["request"]),
            started_at=plain["started_at"],
            resumed=True,
        )

    def new_run(self, request: ReplayRequest, batches: BatchStore) -> ReplayRun:
        """A new run id ``replay-<utc>-<seq>`` with the next batch sequence number (not yet open)."""
        seq = batches.next_seq()
        started = utc_now_iso()
        stamp = started.replace("-", "").replace(":", "")[:15]
        return ReplayRun(replay_id=f"replay-{stamp}-{seq}", seq=seq, request=request, started_at=started)

    def mark_open(self, run: ReplayRun) -> None:
        """Record ``run`` as the open replay (and its run item); a resumed run is already open."""
        if run.resumed:
            return
        values = {
            "replay_id": run.replay_id,
            "seq": run.seq,
            "request": run.request.as_record(),
            "started_at": run.started_at,
        }
        self.client.put_item(
            TableName=self.table_name,
            Item={**OPEN_KEY, **dynamo.to_item(values)},
            ConditionExpression="attribute_not_exists(pk)",
        )
        self.client.put_item(
            TableName=self.table_name,
            Item={**_run_key(run.replay_id), **dynamo.to_item({**values, "state": "RUNNING"})},
        )

    def finish(self, run: ReplayRun, summary: dict[str, Any]) -> None:
        """The run is over: store its summary and close it (idempotent)."""
        self.client.update_item(
            TableName=self.table_name,
            Key=_run_key(run.replay_id),
            UpdateExpression="SET #s = :s, finished_at = :t, summary = :sum",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues=dynamo.to_item(
                {":s": "SUCCEEDED", ":t": utc_now_iso(), ":sum": summary}
            ),
        )
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):  # closed
            self.client.delete_item(
                TableName=self.table_name,
                Key=OPEN_KEY,
                ConditionExpression="replay_id = :id",
                ExpressionAttributeValues={":id": {"S": run.replay_id}},
            )

    def get_run(self, replay_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_run_key(replay_id), ConsistentRead=True
        ).get("Item")
        return dynamo.from_item(item) if item else None

    # --- the file step ---------------------------------------------------------------------------
    def put_files(self, replay_id: str, files: dict[str, Any]) -> None:
        """What the file step did (``FileReplay.as_dict``), so a resumed run reports it too."""
        self.client.put_item(
            TableName=self.table_name, Item={**_run_key(replay_id, "replay-files"), **dynamo.to_item(files)}
        )

    def get_files(self, replay_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_run_key(replay_id, "replay-files"), ConsistentRead=True
        ).get("Item")
        return dynamo.from_item(item) if item else None

    # --- per-entity plans ----------------------------------------------------------------------
    def put_plan(self, replay_id: str, entity: str, plan: EntityPlan) -> None:
        values = {
            "entity": entity,
            "counts": plan.counts,
            "reasons_changed": plan.reasons_changed,
            "by_batch": plan.by_batch,
            "by_file": plan.by_file,
        }
        self.client.put_item(
            TableName=self.table_name,
            Item={**_run_key(replay_id, f"replay#{entity}"), **dynamo.to_item(values)},
        )

    def get_plan(self, replay_id: str, entity: str) -> EntityPlan | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_run_key(replay_id, f"replay#{entity}"), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        plain = dynamo.from_item(item)
        return EntityPlan(
            counts={k: int(v) for k, v in plain["counts"].items()},
            reasons_changed=int(plain.get("reasons_changed", 0)),
            by_batch={k: [int(n) for n in v] for k, v in plain.get("by_batch", {}).items()},
            by_file=[list(f) for f in plain.get("by_file", [])],
        )


def batch_reconciliation(runs: RunStore, batch_id: str) -> list[EntityReconciliation]:
    """``RunStore.reconciliation(batch_id)``, which applies every replay's moves (rows a replay
    took out of the batch's quarantine count as accepted, or as duplicates/stale, once)."""
    return runs.reconciliation(batch_id)
