"""Data-quality results per run: rule-level counts, kept with the run, and two checks across runs.

Every batch and every stream micro-batch records, per entity and per contract rule, how many rows
were checked and how many failed, with the rule's text and severity. A row is counted under the
*first* rule it fails (the same rule that names its quarantine reason), so per batch and entity
the failed rows of all rules add up to the rows quarantined by the contract.

Items (job-state table, the run's partition ``batch#<run_id>``):
- sk ``quality#<entity>#<rule>``: ``RuleResult``;
- sk ``quality#<entity>``: the entity's summary: accepted rows and the newest ``version_column``
  value seen in silver after the run, the inputs of the checks across runs.

Checks across runs (warnings, shown by ``gladiator pipeline status`` and ``gladiator quality``;
CloudWatch alarms on the EMF metrics in CDK):
- **row-count anomaly**: accepted rows outside ``mean(last 10 runs) x (1 +- contract.row_count_band)``;
- **freshness**: the newest ``version_column`` older than ``contract.freshness_sla_hours``.

Metrics leave as CloudWatch Embedded Metric Format lines (``emf_lines``): printed by the Glue jobs
and the stream to their logs, from which CloudWatch extracts them; the Lambda uses Powertools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from gladiator.contracts.model import Contract
from gladiator.ingestion import dynamo

EMF_NAMESPACE = "Gladiator/DataQuality"
HISTORY_RUNS = 10


@dataclass(frozen=True, kw_only=True)
class RuleResult:
    """One rule's outcome for one entity in one run."""

    run_id: str
    entity: str
    rule: str
    checked: int
    failed: int
    severity: str = "error"  # a failing row is quarantined
    text: str = ""

    @property
    def passed(self) -> bool:
        return self.failed == 0


@dataclass(frozen=True, kw_only=True)
class EntitySummary:
    run_id: str
    entity: str
    accepted: int
    newest: str | None = None  # ISO timestamp of the newest version_column value in silver


@dataclass(frozen=True, kw_only=True)
class QualityWarning:
    entity: str
    check: str  # row_count_anomaly | freshness
    message: str


def _key(run_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"batch#{run_id}"}, "sk": {"S": sk}}


class QualityStore:
    """Reads and writes quality items; ``client`` is a low-level DynamoDB client."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client

    def put(self, results: Iterable[RuleResult], summary: EntitySummary | None = None) -> None:
        """Record a run's results (idempotent: a re-run writes the same items again)."""
        for result in results:
            item = _key(result.run_id, f"quality#{result.entity}#{result.rule}")
            self.client.put_item(TableName=self.table_name, Item=item | dynamo.to_item(asdict(result)))
        if summary is not None:
            item = _key(summary.run_id, f"quality#{summary.entity}")
            self.client.put_item(TableName=self.table_name, Item=item | dynamo.to_item(asdict(summary)))

    def _query(self, run_id: str) -> list[dict[str, Any]]:
        response = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": {"S": f"batch#{run_id}"}, ":p": {"S": "quality#"}},
            ConsistentRead=True,
        )
        return [dynamo.from_item(i) for i in response.get("Items", [])]

    def results(self, run_id: str) -> list[RuleResult]:
        return [RuleResult(**item_fields(i, RuleResult)) for i in self._query(run_id) if "rule" in i]

    def summaries(self, run_id: str) -> list[EntitySummary]:
        return [
            EntitySummary(**item_fields(i, EntitySummary)) for i in self._query(run_id) if "rule" not in i
        ]


def item_fields(item: dict[str, Any], cls: type) -> dict[str, Any]:
    """The keys of ``item`` that are fields of the dataclass ``cls``."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in item.items() if k in names}


def row_count_anomaly(contract: Contract, history: Sequence[int], accepted: int) -> QualityWarning | None:
    """A warning if ``accepted`` is outside the band around the mean of the last runs' counts."""
    recent = list(history)[-HISTORY_RUNS:]
    if not recent:
        return None
    mean = sum(recent) / len(recent)
    low, high = mean * (1 - contract.row_count_band), mean * (1 + contract.row_count_band)
    if low <= accepted <= high:
        return None
    return QualityWarning(
        entity=contract.name,
        check="row_count_anomaly",
        message=(
            f"{contract.name}: {accepted:,} rows accepted, outside {low:,.0f}..{high:,.0f} "
            f"(mean of the last {len(recent)} runs ± {contract.row_count_band:.0%})"
        ),
    )


def freshness_breach(contract: Contract, newest: datetime | None, now: datetime) -> QualityWarning | None:
    """A warning if the newest row is older than the contract's freshness SLA (if it has one)."""
    if contract.freshness_sla_hours is None or newest is None:
        return None
    age = now - newest
    if age <= timedelta(hours=contract.freshness_sla_hours):
        return None
    return QualityWarning(
        entity=contract.name,
        check="freshness",
        message=(
            f"{contract.name}: newest {contract.version_column} is {age.total_seconds() / 3600:,.1f} h old, "
            f"SLA {contract.freshness_sla_hours:g} h"
        ),
    )


def emf_lines(results: Iterable[RuleResult], *, stage: str) -> list[str]:
    """CloudWatch Embedded Metric Format records: RowsChecked/RowsFailed by entity and rule."""
    now_ms = int(time.time() * 1000)
    lines = []
    for r in results:
        record = {
            "_aws": {
                "Timestamp": now_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": EMF_NAMESPACE,
                        "Dimensions": [["Stage", "Entity", "Rule"], ["Stage", "Entity"]],
                        "Metrics": [
                            {"Name": "RowsChecked", "Unit": "Count"},
                            {"Name": "RowsFailed", "Unit": "Count"},
                        ],
                    }
                ],
            },
            "Stage": stage,
            "Entity": r.entity,
            "Rule": r.rule,
            "RowsChecked": r.checked,
            "RowsFailed": r.failed,
            "RunId": r.run_id,
        }
        lines.append(json.dumps(record, separators=(",", ":")))
    return lines
