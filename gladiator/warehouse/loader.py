"""The gold -> warehouse load, and the choice of loader.

One interface (``base.WarehouseLoader``), two implementations: ``RedshiftLoader`` (AWS, Data
API) and ``PostgresLoader`` (local). ``load_gold`` is the same on both:

1. read each gold table's current Delta version from its log;
2. skip tables whose version the warehouse already holds: its marker table, written in the load
   transaction, is the truth; the ledger (job state) follows it (reloading a version is a no-op);
3. write one COPY manifest per pending table (the snapshot's Parquet files);
4. load every pending table in ONE warehouse transaction (staging -> MERGE -> delete missing ->
   marker row), so a failure anywhere leaves every target as it was;
5. only then advance the ledger. If the process dies between 4 and 5, the warehouse's marker row
   repairs the ledger on the next run instead of loading the version again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gladiator.config import Settings
from gladiator.contracts import Contract
from gladiator.warehouse.base import DEFAULT_SCHEMA, TablePlan, WarehouseLoader
from gladiator.warehouse.delta_log import DeltaLogReader
from gladiator.warehouse.ledger import LoadLedger
from gladiator.warehouse.manifest import build_manifest, manifest_uri, write_manifest


@dataclass
class TableLoad:
    table: str
    delta_version: int
    status: str  # "loaded" | "unchanged" | "repaired"
    rows: int = 0
    files: int = 0
    bytes: int = 0


@dataclass
class LoadSummary:
    """What one ``load_gold`` run did (JSON-friendly through ``as_dict``)."""

    schema: str
    dialect: str
    tables: list[TableLoad] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def loaded(self) -> list[str]:
        return [t.table for t in self.tables if t.status == "loaded"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "dialect": self.dialect,
            "seconds": round(self.seconds, 3),
            "tables": [t.__dict__ for t in self.tables],
        }


def make_loader(settings: Settings, schema: str, *, s3: Any | None = None) -> WarehouseLoader:
    """The loader for ``settings.warehouse_url``: postgresql://... or redshift-data://..."""
    url = settings.warehouse_url
    if url.startswith("redshift-data://"):
        from gladiator.warehouse.redshift import RedshiftLoader

        return RedshiftLoader.from_settings(settings, schema)
    from gladiator.warehouse.postgres import PostgresLoader

    return PostgresLoader(url, schema, s3=s3 or settings.client("s3"))


def gold_contracts() -> dict[str, Contract]:
    """The gold tables (gladiator/contracts/gold.py), by name."""
    from gladiator.contracts import gold

    return dict(gold.GOLD_TABLES)


def load_gold(
    settings: Settings,
    *,
    schema: str = DEFAULT_SCHEMA,
    contracts: Sequence[Contract] | None = None,
    loader: WarehouseLoader | None = None,
    ledger: LoadLedger | None = None,
    s3: Any | None = None,
    table_uris: dict[str, str] | None = None,
) -> LoadSummary:
    """Load the current version of every gold table into the warehouse, exactly once per version.

    ``contracts`` defaults to the gold contracts; ``table_uris`` overrides where a table's Delta
    log lives (default ``settings.lake_uri("gold", name)``). Raises WarehouseUnavailable (ledger
    untouched) or WarehouseLoadError (transaction rolled back, ledger untouched).
    """
    started = time.perf_counter()
    s3 = s3 or settings.client("s3")
    contracts = list(contracts) if contracts is not None else list(gold_contracts().values())
    loader = loader or make_loader(settings, schema, s3=s3)
    ledger = ledger or LoadLedger.from_settings(settings)
    summary = LoadSummary(schema=schema, dialect=loader.dialect)

    loader.prepare(contracts)  # fails fast with WarehouseUnavailable before anything changes
    in_warehouse = loader.loaded_versions()
    reader = DeltaLogReader(s3)
    plans: list[TablePlan] = []
    for contract in contracts:
        uri = (table_uris or {}).get(contract.name) or settings.lake_uri("gold", contract.name)
        snapshot = reader.snapshot(uri)
        held = in_warehouse.get(contract.name)
        if held is not None and held >= snapshot.version:
            summary.tables.append(_already_loaded(ledger, contract.name, schema, held))
            continue
        # Not in the warehouse at this version (new version, first load, or a warehouse that was
        # reset while the ledger still remembers the version): load it.
        target = manifest_uri(settings.assets_bucket, schema, contract.name, snapshot.version)
        write_manifest(s3, target, build_manifest(snapshot))
        plans.append(TablePlan(contract, snapshot, target))
    if plans:
        summary.tables += _load_and_record(loader, ledger, schema, plans)
    summary.seconds = time.perf_counter() - started
    return summary


def _already_loaded(ledger: LoadLedger, table: str, schema: str, held: int) -> TableLoad:
    """A table the warehouse holds at ``held`` (its own marker, written in the load transaction,
    is the truth): ``unchanged``, or ``repaired`` when the ledger write after the load was lost."""
    record = ledger.get(table, schema)
    if record is None or record.delta_version < held:
        ledger.record(table, schema, delta_version=held, row_count=-1, manifest_uri="")
        return TableLoad(table, held, "repaired")
    return TableLoad(table, held, "unchanged", record.row_count)


def _load_and_record(
    loader: WarehouseLoader, ledger: LoadLedger, schema: str, plans: list[TablePlan]
) -> list[TableLoad]:
    """Load every plan in one warehouse transaction, then advance the ledger table by table."""
    rows = loader.load(plans)
    loads = []
    for plan in plans:
        name = plan.contract.name
        ledger.record(
            name,
            schema,
            delta_version=plan.snapshot.version,
            row_count=rows[name],
            manifest_uri=plan.manifest_uri,
        )
        files, size = len(plan.snapshot.files), plan.snapshot.size_bytes
        loads.append(TableLoad(name, plan.snapshot.version, "loaded", rows[name], files=files, bytes=size))
    return loads
