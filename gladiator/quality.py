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

``run_warnings`` evaluates both checks for a run (the one function the CLI's ``quality`` and
``pipeline status`` and the batch job use); ``check_emf_lines`` turns them into one
RowCountAnomaly / FreshnessBreach metric per entity (0 or 1, dimension ``Entity``), the metrics the
CDK alarms watch.

The landing Lambda checks *files*, not rows: ``file_rule_results`` maps its verdict to the file
rules (``FILE_RULES``, in the order validation checks them; the first failure ends the checks).

Metrics leave as CloudWatch Embedded Metric Format lines (``emf_lines``): printed by the Glue jobs
and the stream to their logs, from which CloudWatch extracts them; the Lambda uses Powertools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from gladiator.contracts.model import Contract, ReasonCode
from gladiator.ingestion import dynamo
from gladiator.timestamps import parse_iso

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


# The checks across runs and the per-entity metric each one publishes (0 or 1 per run).
CHECK_METRICS = {"row_count_anomaly": "RowCountAnomaly", "freshness": "FreshnessBreach"}


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


def run_warnings(store: QualityStore, runs: Sequence[str], now: datetime) -> list[QualityWarning]:
    """Row-count anomaly and freshness of the last of ``runs`` (oldest first), judged against
    the runs before it. Freshness takes the newest row of any of ``runs``: silver holds them all."""
    from gladiator.contracts import CONTRACTS  # the registry imports every entity module

    if not runs:
        return []
    by_run = {run_id: store.summaries(run_id) for run_id in runs}  # one query per run
    history: dict[str, list[int]] = {}
    newest: dict[str, str] = {}
    for run_id in runs:
        for summary in by_run[run_id]:
            if run_id != runs[-1]:
                history.setdefault(summary.entity, []).append(summary.accepted)
            if summary.newest:
                newest[summary.entity] = max(newest.get(summary.entity, ""), summary.newest)
    found = []
    for summary in by_run[runs[-1]]:
        contract = CONTRACTS.get(summary.entity)
        if contract is None:
            continue
        seen = newest.get(summary.entity)
        for warning in (
            row_count_anomaly(contract, history.get(summary.entity, []), summary.accepted),
            freshness_breach(contract, parse_iso(seen) if seen else None, now),
        ):
            if warning:
                found.append(warning)
    return found


def runs_up_to(run_ids: Sequence[str], run_id: str) -> list[str]:
    """``run_id`` and up to ``HISTORY_RUNS`` runs before it in ``run_ids`` (oldest first): the
    runs its checks look at. A run missing from ``run_ids`` is judged against all of them."""
    ordered = list(run_ids)
    upto = ordered[: ordered.index(run_id) + 1] if run_id in ordered else [*ordered, run_id]
    return upto[-(HISTORY_RUNS + 1) :]


def warnings_for_run(
    store: QualityStore, run_ids: Sequence[str], run_id: str, now: datetime
) -> list[QualityWarning]:
    """The warnings of ``run_id`` against the runs before it in ``run_ids`` (oldest first): what
    ``gladiator quality``, ``gladiator pipeline status`` and the batch job's metrics all show."""
    return run_warnings(store, runs_up_to(run_ids, run_id), now)


def check_emf_lines(
    store: QualityStore, run_ids: Sequence[str], run_id: str, *, now: datetime | None = None
) -> list[str]:
    """Evaluate the checks across runs for ``run_id`` and return one EMF record per entity it
    recorded a summary for: ``RowCountAnomaly`` and ``FreshnessBreach`` (1 = warning, 0 = fine)
    with the dimension ``Entity``, the metrics the CDK alarms watch. ``run_ids`` is every run,
    oldest first (``RunStore.runs()``); call after the run's summaries are written."""
    warnings = warnings_for_run(store, run_ids, run_id, now or datetime.now(UTC))
    raised = {(w.entity, w.check) for w in warnings}
    now_ms = int(time.time() * 1000)
    lines = []
    for summary in store.summaries(run_id):
        record: dict[str, Any] = {
            "_aws": {
                "Timestamp": now_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": EMF_NAMESPACE,
                        "Dimensions": [["Entity"]],
                        "Metrics": [{"Name": name, "Unit": "Count"} for name in CHECK_METRICS.values()],
                    }
                ],
            },
            "Entity": summary.entity,
            "RunId": run_id,
            "AcceptedRows": summary.accepted,
        }
        for check, name in CHECK_METRICS.items():
            record[name] = int((summary.entity, check) in raised)
        lines.append(json.dumps(record, separators=(",", ":")))
    return lines


# The landing Lambda's file rules, in the order gladiator.ingestion.validation checks them, each
# with the reasons that mean it failed. A file is checked against each rule until the first
# failure (the verdict), so its failed rule is the one that names its quarantine reason.
FILE_RULES: tuple[tuple[str, frozenset[ReasonCode]], ...] = (
    ("is_a_file", frozenset({ReasonCode.FOLDER_MARKER})),
    ("known_entity", frozenset({ReasonCode.UNKNOWN_ENTITY})),
    ("known_format", frozenset({ReasonCode.UNKNOWN_FORMAT})),
    ("within_size_limit", frozenset({ReasonCode.FILE_TOO_LARGE})),
    ("not_empty", frozenset({ReasonCode.EMPTY_FILE})),
    ("decodes", frozenset({ReasonCode.NOT_UTF8, ReasonCode.TRUNCATED_GZIP, ReasonCode.MALFORMED_JSON})),
    (
        "contract_columns",
        frozenset(
            {
                ReasonCode.WRONG_HEADER,
                ReasonCode.MISSING_COLUMNS,
                ReasonCode.EXTRA_COLUMNS,
                ReasonCode.WRONG_DELIMITER,
                ReasonCode.BAD_PARQUET_SCHEMA,
            }
        ),
    ),
    ("has_rows", frozenset({ReasonCode.HEADER_ONLY})),
)


def file_rule_results(run_id: str, entity: str | None, reason: str | None) -> list[RuleResult]:
    """The file rules one validated landing object was checked against (``reason`` None: it
    passed them all; else the rules up to the one ``reason`` belongs to, which failed).

    ``checked``/``failed`` count files (0 or 1). Raises ``ValueError`` for a reason that is not a
    file rule's (e.g. ``duplicate``: such a file was never validated, so it has no results)."""
    results = []
    for rule, reasons in FILE_RULES:
        failed = reason is not None and reason in reasons
        results.append(
            RuleResult(
                run_id=run_id,
                entity=entity or "unknown",
                rule=rule,
                checked=1,
                failed=int(failed),
                text=", ".join(sorted(reasons)),
            )
        )
        if failed:
            return results
    if reason is not None:
        raise ValueError(f"{reason!r} is not the reason of a file rule")
    return results
