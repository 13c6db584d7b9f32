"""What each batch job read and wrote, as the steps of its OpenLineage run (gladiator.lineage).

One step per entity or gold table, so an edge links exactly what that step read to what it wrote:
a landing file to its entity's bronze table, bronze to silver and quarantine, silver and earlier
gold tables to each gold table (the inputs of ``gold_registry``), gold to the warehouse. The jobs'
own results say what was written; a step whose batch wrote nothing (skipped, already committed)
still names its datasets, because the batch's rows are in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

from gladiator.contracts import CONTRACTS
from gladiator.ingestion.model import LedgerEntry
from gladiator.jobs.context import BatchJobContext
from gladiator.lineage.emit import LineageRun
from gladiator.transforms.gold_registry import BUILDS


def landing_to_bronze(run: LineageRun, ctx: BatchJobContext, files: Iterable[LedgerEntry]) -> None:
    by_entity: dict[str, list[str]] = {}
    for entry in files:
        if entry.entity:  # a file of no entity is quarantined by the Lambda, never claimed
            by_entity.setdefault(entry.entity, []).append(entry.s3_uri)
    for entity, uris in by_entity.items():
        step = run.step(entity)
        for uri in sorted(uris):
            step.input(uri)
        step.output(ctx.uri("bronze", entity))


def bronze_to_silver(run: LineageRun, ctx: BatchJobContext, counts: Mapping[str, Mapping[str, int]]) -> None:
    for entity, entity_counts in counts.items():
        step = run.step(entity)
        step.input(ctx.uri("bronze", entity))
        step.output(ctx.uri("silver", entity), rows=entity_counts.get("accepted"))
        if entity_counts.get("quarantined"):
            step.output(ctx.uri("quarantine", entity), rows=entity_counts["quarantined"])


def silver_to_gold(run: LineageRun, ctx: BatchJobContext, tables: Iterable[str]) -> None:
    for table in tables:
        step = run.step(table)
        for name in BUILDS[table].inputs:
            step.input(ctx.uri("silver" if name in CONTRACTS else "gold", name))
        step.output(ctx.uri("gold", table))


def mysql_to_bronze(run: LineageRun, ctx: BatchJobContext, results: Iterable[Mapping[str, Any]]) -> None:
    source = urlparse(ctx.settings.mysql_url)
    database = (ctx.args.get("database") or source.path.strip("/")) or "oltp"
    for result in results:
        table = str(result["table"])
        step = run.step(table)
        step.input(f"mysql://{source.hostname}:{source.port}/{database}/{table}")
        step.output(ctx.uri("bronze", table), rows=result.get("rows"))


def gold_to_warehouse(run: LineageRun, ctx: BatchJobContext, report: Mapping[str, Any]) -> None:
    target = urlparse(ctx.settings.warehouse_url)
    for load in report.get("tables", []):
        step = run.step(load["table"])
        step.input(ctx.uri("gold", load["table"]))
        step.output(
            f"{target.scheme}://{target.hostname}/{report['schema']}/{load['table']}", rows=load.get("rows")
        )
