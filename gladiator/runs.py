"""Pipeline run state and per-entity reconciliation, kept with the batch in the job-state table.

Items (job-state table, pk ``batch#<batch_id>``; the batch's own item is sk ``meta``, owned by
gladiator.ingestion.batches):

- sk ``run``: the pipeline run (``gladiator.outcomes.RunState``: RUNNING|SUCCEEDED|FAILED,
  started/finished, per-job states);
- sk ``input#<source>#<entity>``: rows a bronze job (source ``landing`` or ``mysql``) put in bronze
  for the batch, written before its bronze commit: the entities bronze_to_silver must visit;
- sk ``recon#<stage>#<entity>``: counts of one stage for one entity, written before the stage's
  Delta commits so a re-run after a crash reports the counts of the first computation.
  Stage ``landing``: ``rows_read = rows_loaded + malformed``. Stage ``silver``:
  ``rows_in = accepted + quarantined + duplicates + stale``. Stage ``replay#<replay id>``: rows a
  replay took out of this batch's quarantine (accepted, duplicates, stale), applied by
  ``reconciliation``.

The batch-level total (``meta.reconciliation``) is written with
``gladiator.ingestion.batches.record_reconciliation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gladiator.ingestion import dynamo
from gladiator.outcomes import RunState
from gladiator.timestamps import utc_now_iso


def _decimals(value: Any) -> Any:
    """Floats as Decimal (DynamoDB has no float type)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    return value


REPLAY_STAGE_PREFIX = "replay#"  # recon#replay#<replay id>#<entity>: gladiator.replay's moves


def _key(batch_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"batch#{batch_id}"}, "sk": {"S": sk}}


@dataclass(frozen=True, kw_only=True)
class EntityReconciliation:
    """One entity's counts for one batch, both stages combined.

    rows_in = accepted + quarantined + duplicates + stale, where rows_in counts every record
    read (landing lines incl. malformed ones, plus rows other sources put in bronze for the batch)
    and quarantined = malformed + rejected by the contract.
    """

    entity: str
    rows_in: int
    accepted: int
    quarantined: int
    duplicates: int
    stale: int
    malformed: int = 0

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.accepted + self.quarantined + self.duplicates + self.stale

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "balanced": self.balanced}


class RunStore:
    """Reads and writes run/reconciliation items; ``client`` is a low-level DynamoDB client."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client

    # --- reconciliation ----------------------------------------------------------------
    def put_counts(self, batch_id: str, stage: str, entity: str, counts: dict[str, int]) -> None:
        self.client.put_item(
            TableName=self.table_name,
            Item={
                **_key(batch_id, f"recon#{stage}#{entity}"),
                **dynamo.to_item({"batch_id": batch_id, "stage": stage, "entity": entity, **counts}),
                "recorded_at": {"S": utc_now_iso()},
            },
        )

    def put_input(self, batch_id: str, source: str, entity: str, rows: int) -> None:
        """Record that ``source`` puts ``rows`` bronze rows of ``entity`` in the batch (before it
        commits them, so a retry that finds them committed still has the record)."""
        self.client.put_item(
            TableName=self.table_name,
            Item={
                **_key(batch_id, f"input#{source}#{entity}"),
                **dynamo.to_item({"batch_id": batch_id, "source": source, "entity": entity, "rows": rows}),
            },
        )

    def inputs(self, batch_id: str) -> dict[str, int] | None:
        """Bronze rows per entity in ``batch_id`` over all sources; None if no bronze job recorded
        any (a batch written by another tool: every entity must then be visited)."""
        items = self._items(batch_id, "input#")
        if not items:
            return None
        rows: dict[str, int] = {}
        for item in items:
            rows[item["entity"]] = rows.get(item["entity"], 0) + int(item["rows"])
        return rows

    def get_counts(self, batch_id: str, stage: str, entity: str) -> dict[str, int] | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_key(batch_id, f"recon#{stage}#{entity}"), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        plain = dynamo.from_item(item)
        return {k: v for k, v in plain.items() if isinstance(v, int)}

    def _items(self, batch_id: str, prefix: str) -> list[dict[str, Any]]:
        response = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": {"S": f"batch#{batch_id}"}, ":p": {"S": prefix}},
            ConsistentRead=True,
        )
        return [dynamo.from_item(i) for i in response.get("Items", [])]

    def reconciliation(self, batch_id: str) -> list[EntityReconciliation]:
        """Per-entity reconciliation of ``batch_id`` (both stages combined)."""
        by_entity: dict[str, dict[str, dict[str, Any]]] = {}
        for item in self._items(batch_id, "recon#"):
            by_entity.setdefault(item["entity"], {})[item["stage"]] = item
        out = []
        for entity, stages in sorted(by_entity.items()):
            landing = stages.get("landing", {})
            silver = stages.get("silver", {})
            malformed = int(landing.get("malformed", 0))
            bronze_in = int(silver.get("rows_in", landing.get("rows_loaded", 0)))
            # rows later replays took out of this batch's quarantine (stage replay#<replay id>):
            # accepted now (or dropped as silver already held their version), counted once each
            replayed = [item for stage, item in stages.items() if stage.startswith(REPLAY_STAGE_PREFIX)]
            moved = {
                k: sum(int(item.get(k, 0)) for item in replayed) for k in ("accepted", "duplicates", "stale")
            }
            out.append(
                EntityReconciliation(
                    entity=entity,
                    rows_in=bronze_in + malformed,
                    accepted=int(silver.get("accepted", 0)) + moved["accepted"],
                    quarantined=int(silver.get("quarantined", 0)) + malformed - sum(moved.values()),
                    duplicates=int(silver.get("duplicates", 0)) + moved["duplicates"],
                    stale=int(silver.get("stale", 0)) + moved["stale"],
                    malformed=malformed,
                )
            )
        return out

    # --- runs ---------------------------------------------------------------------------
    def start_run(self, batch_id: str, batch_seq: int, jobs: list[str]) -> None:
        self.client.put_item(
            TableName=self.table_name,
            Item={
                **_key(batch_id, "run"),
                **dynamo.to_item(
                    {
                        "batch_id": batch_id,
                        "batch_seq": batch_seq,
                        "state": RunState.RUNNING.value,
                        "started_at": utc_now_iso(),
                        "jobs": {j: {"state": RunState.PENDING.value} for j in jobs},
                    }
                ),
            },
        )

    def set_job(self, batch_id: str, job: str, state: str, **details: Any) -> None:
        """Record ``job``'s state (a ``RunState``) and details in the run item."""
        self.client.update_item(
            TableName=self.table_name,
            Key=_key(batch_id, "run"),
            UpdateExpression="SET jobs.#j = :v",
            ExpressionAttributeNames={"#j": job},
            ExpressionAttributeValues={
                ":v": dynamo.to_value(_decimals({"state": state, "at": utc_now_iso(), **details}))
            },
        )

    def finish_run(self, batch_id: str, state: str, error: str | None = None) -> None:
        """End the run in ``state`` (``RunState.SUCCEEDED`` or ``FAILED``), with the error if any."""
        values: dict[str, Any] = {":s": state, ":t": utc_now_iso()}
        update = "SET #s = :s, finished_at = :t"
        if error:
            update += ", #e = :e"
            values[":e"] = error[-2000:]
        self.client.update_item(
            TableName=self.table_name,
            Key=_key(batch_id, "run"),
            UpdateExpression=update,
            ExpressionAttributeNames={"#s": "state", **({"#e": "error"} if error else {})},
            ExpressionAttributeValues=dynamo.to_item(values),
        )

    def get_run(self, batch_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(
            TableName=self.table_name, Key=_key(batch_id, "run"), ConsistentRead=True
        ).get("Item")
        return dynamo.from_item(item) if item else None

    def runs(self) -> list[dict[str, Any]]:
        """Every recorded run (a scan: for the CLI), oldest batch first."""
        out: list[dict[str, Any]] = []
        for page in self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression="begins_with(pk, :p) AND sk = :r",
            ExpressionAttributeValues={":p": {"S": "batch#"}, ":r": {"S": "run"}},
        ):
            out += [dynamo.from_item(i) for i in page.get("Items", [])]
        return sorted(out, key=lambda r: int(r.get("batch_seq", 0)))
