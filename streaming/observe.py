"""What a micro-batch reports about itself: data-quality results and OpenLineage run events.

Quality (``gladiator.quality``): per entity (``orders``, ``lineitem``, ``order_status``: the status
changes, checked against the orders contract's status rules) and per rule, the rows checked and
failed, with the rule's text and severity, stored under the run id ``stream-<stream>-<batchId>``
(``run_id``) and logged as CloudWatch EMF lines (logger ``streaming.emf``). A row counts under the first rule it fails (the
rule named in its dead letter), like the batch jobs. Idempotent on the batch id: a replayed batch
computes the same counts and writes the same items again.

Lineage (``gladiator.lineage``): each micro-batch is one OpenLineage run of the job
``stream.<stream>`` (START, then COMPLETE or FAIL) whose input is the Kafka topic (with a
data-quality assertions facet: one assertion per ``<entity>.<rule>``) and whose outputs are the
bronze events, silver orders and lineitem, and the dead-letter table, each with its row count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gladiator import quality
from gladiator.contracts import Contract, ReasonCode
from gladiator.lineage.emit import LineageRun
from gladiator.order_events import StreamReason
from gladiator.quality import EntitySummary, QualityStore, RuleResult
from gladiator.transforms.silver import rule_texts

STAGE = "stream"
# The EMF records: one JSON line each, on this logger (the Glue entry script sends it to stdout,
# where CloudWatch extracts the metrics; the CLI keeps stdout for its JSON result).
EMF_LOG = logging.getLogger("streaming.emf")

# The event's own structure checks (not contract rules): their rule name is their reason.
EVENT_RULES: dict[str, str] = {
    str(ReasonCode.MALFORMED_RECORD): "order_placed carries lines and one order key",
    str(StreamReason.KEY_MISMATCH): "the payload's order key equals the event's order_key",
}


def run_id(stream_name: str, batch_id: int) -> str:
    """The quality run id of one micro-batch (one per batch id, so a replay overwrites it)."""
    return f"stream-{stream_name}-{batch_id}"


def stream_rule_texts(contract: Contract) -> dict[str, str]:
    """The rules the stream evaluates for ``contract``'s rows, in order: every rule of the batch
    jobs except the foreign keys (an event carries no dimension rows to check them against)."""
    refs = {f"{'_'.join(fk.columns)}_references_{fk.references}" for fk in contract.foreign_keys}
    return {name: text for name, text in rule_texts(contract).items() if name not in refs}


@dataclass(frozen=True)
class EntityCheck:
    """One entity's checked rows: how many, the failures per first-failing rule, and the newest
    ``updated_at`` of the rows that passed."""

    contract: Contract
    checked: int
    failed_by_rule: Mapping[str, int]
    newest_valid: datetime | None = None


def tally(contract: Contract, rows: DataFrame, rule: Column, version_column: str) -> EntityCheck:
    """One aggregation over ``rows``: count per first-failing ``rule`` (NULL: passed)."""
    out = (
        rows.groupBy(rule.alias("rule"))
        .agg(F.count(F.lit(1)).alias("n"), F.max(version_column).alias("newest"))
        .collect()
    )
    checked = sum(int(r["n"]) for r in out)
    failed = {r["rule"]: int(r["n"]) for r in out if r["rule"] is not None}
    newest = next((r["newest"] for r in out if r["rule"] is None), None)
    return EntityCheck(contract, checked, failed, newest)


def rule_results(run: str, checks: Iterable[EntityCheck]) -> list[RuleResult]:
    """Every evaluated rule of every entity, failed or not; a failing check that is not a contract
    rule (the event's structure) is reported too."""
    results = []
    for check in checks:
        texts = stream_rule_texts(check.contract)
        texts |= {r: EVENT_RULES.get(r, r) for r in check.failed_by_rule if r not in texts}
        results += [
            RuleResult(run_id=run, entity=check.contract.name, rule=rule, checked=check.checked,
                       failed=check.failed_by_rule.get(rule, 0), text=text)
            for rule, text in texts.items()
        ]  # fmt: skip
    return results


@dataclass
class BatchQuality:
    """Records one micro-batch's checks: the store, EMF lines on stdout, the lineage facet."""

    store: QualityStore | None
    results: list[RuleResult] = field(default_factory=list)

    def record(self, run: str, checks: list[EntityCheck], accepted: Mapping[str, int]) -> list[RuleResult]:
        """Store the results and each entity's summary (accepted rows, newest valid version)."""
        self.results = rule_results(run, checks)
        if self.store is not None:
            by_entity: dict[str, list[RuleResult]] = {}
            for r in self.results:
                by_entity.setdefault(r.entity, []).append(r)
            for check in checks:
                name = check.contract.name
                summary = None
                if name in accepted:
                    newest = check.newest_valid.isoformat() + "Z" if check.newest_valid else None
                    summary = EntitySummary(run_id=run, entity=name, accepted=accepted[name], newest=newest)
                self.store.put(by_entity.get(name, []), summary)
        for line in quality.emf_lines(self.results, stage=STAGE):
            EMF_LOG.info(line)
        return self.results


def describe_run(
    run: LineageRun, *, topic_uri: str, results: Iterable[RuleResult], outputs: Mapping[str, int | None]
) -> None:
    """The micro-batch's datasets: the topic (with the rule assertions) -> each written table."""
    run.input(topic_uri, checks={f"{r.entity}.{r.rule}": (r.checked, r.failed) for r in results})
    for uri, rows in outputs.items():
        run.output(uri, rows=rows)
