"""The warehouse load ledger: which gold Delta version each warehouse table holds.

Items live in the job-state table (``resources.JOB_STATE``): pk ``warehouse#<table>``, sk the
warehouse schema the table was loaded into (so test schemas and the real ``gold`` schema never share
an item). The ledger is written only after the warehouse transaction committed; a lost write is
repaired from the warehouse's own marker table (``ddl.LOAD_LEDGER_TABLE``), so a version is
loaded exactly once even if the job dies between the two commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gladiator import resources
from gladiator.config import Settings
from gladiator.timestamps import utc_now_iso


@dataclass(frozen=True)
class LedgerRecord:
    table: str
    schema: str
    delta_version: int
    row_count: int
    loaded_at: str
    manifest_uri: str


def ledger_pk(table: str) -> str:
    return f"warehouse#{table}"


class LoadLedger:
    """Read and advance the per-table loaded version. ``client`` is an injected DynamoDB client."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self._ddb = client

    @classmethod
    def from_settings(cls, settings: Settings, client: Any | None = None) -> LoadLedger:
        return cls(settings.table_name(resources.JOB_STATE), client or settings.client("dynamodb"))

    def get(self, table: str, schema: str) -> LedgerRecord | None:
        item = self._ddb.get_item(
            TableName=self.table_name,
            Key={"pk": {"S": ledger_pk(table)}, "sk": {"S": schema}},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        return LedgerRecord(
            table=table,
            schema=schema,
            delta_version=int(item["delta_version"]["N"]),
            row_count=int(item.get("row_count", {"N": "0"})["N"]),
            loaded_at=item.get("loaded_at", {"S": ""})["S"],
            manifest_uri=item.get("manifest_uri", {"S": ""})["S"],
        )

    def record(
        self, table: str, schema: str, *, delta_version: int, row_count: int, manifest_uri: str
    ) -> bool:
        """Record ``delta_version`` as loaded; never moves backwards. Returns False if a newer version
        was already recorded."""
        try:
            self._ddb.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": ledger_pk(table)},
                    "sk": {"S": schema},
                    "delta_version": {"N": str(delta_version)},
                    "row_count": {"N": str(row_count)},
                    "loaded_at": {"S": utc_now_iso()},
                    "manifest_uri": {"S": manifest_uri},
                },
                ConditionExpression="attribute_not_exists(pk) OR delta_version <= :v",
                ExpressionAttributeValues={":v": {"N": str(delta_version)}},
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True
