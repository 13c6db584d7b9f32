"""Lake maintenance: OPTIMIZE + Z-ORDER, VACUUM with a retention guard, symlink manifests.

- OPTIMIZE compacts the small files each batch leaves behind; ``ZORDER BY`` the contract's
  ``cluster_by`` columns co-locates rows by the keys dashboards and joins filter on (Delta's
  replacement for Hive bucketing, DESIGN §6). A table without ``cluster_by`` is only compacted.
- VACUUM deletes data files no longer referenced by the table, older than the retention.
  **Guard:** a retention under 168 h (7 days, Delta's default) is refused unless forced, because
  files "removed" by a recent commit are still needed by (a) a reader or a job that started
  before the commit (a long silver_to_gold, a Spectrum/Athena query through a manifest, a
  warehouse COPY of a manifest's files), (b) time travel to a recent version, which the warehouse
  load ledger uses to (re)load a given gold version, and (c) a streaming query restarting from its
  checkpoint. Deleting them corrupts those readers. ``force`` exists for tests and disposable
  tables; it disables Delta's own check only for that one call.
- ``GENERATE symlink_format_manifest`` writes ``_symlink_format_manifest/`` (per partition for
  partitioned tables) listing the current data files, which Redshift Spectrum and Athena read
  as a plain Parquet table. Re-run after writes (this job) so the manifest stays current.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gladiator.contracts import CONTRACTS
from gladiator.contracts.gold import GOLD_TABLES
from gladiator.errors import ConfigurationError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

MIN_RETENTION_HOURS = 168
_RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"


@dataclass(frozen=True, kw_only=True)
class LakeTable:
    layer: str
    name: str
    path: str
    zorder_by: tuple[str, ...] = ()


def check_retention(hours: float, *, force: bool = False) -> None:
    """Refuse a VACUUM retention under MIN_RETENTION_HOURS unless ``force`` (see module doc)."""
    if hours < 0:
        raise ConfigurationError(f"VACUUM retention must be >= 0 hours, got {hours}")
    if hours < MIN_RETENTION_HOURS and not force:
        raise ConfigurationError(
            f"VACUUM retention {hours} h is under the {MIN_RETENTION_HOURS} h safety minimum: files still "
            "read by running jobs, manifests, time travel and stream restarts would be deleted. "
            "Use >= 168 h, or --force_retention true for a disposable table."
        )


def lake_tables(lake_root: str, layers: Iterable[str] = ("silver", "gold")) -> list[LakeTable]:
    """The maintained tables of ``layers`` with their Z-ORDER keys from the contracts."""
    tables: list[LakeTable] = []
    for layer in layers:
        if layer in ("bronze", "silver"):
            # bronze columns are all strings (raw text): compaction only
            tables += [
                LakeTable(
                    layer=layer,
                    name=name,
                    path=f"{lake_root}/{layer}/{name}",
                    zorder_by=c.cluster_by if layer == "silver" else (),
                )
                for name, c in CONTRACTS.items()
            ]
        elif layer == "gold":
            tables += [
                LakeTable(layer=layer, name=name, path=f"{lake_root}/gold/{name}", zorder_by=c.cluster_by)
                for name, c in GOLD_TABLES.items()
            ]
        else:
            raise ConfigurationError(f"unknown lake layer {layer!r}: use bronze, silver or gold")
    return tables


def optimize(spark: SparkSession, path: str, zorder_by: Sequence[str] = ()) -> dict[str, Any]:
    """OPTIMIZE (and ZORDER BY ``zorder_by``); returns Delta's metrics (files added/removed...)."""
    sql = f"OPTIMIZE delta.`{path}`"
    if zorder_by:
        sql += " ZORDER BY (" + ", ".join(f"`{c}`" for c in zorder_by) + ")"
    row = spark.sql(sql).first()
    metrics = row["metrics"].asDict(recursive=True) if row is not None else {}
    return {k: metrics.get(k) for k in ("numFilesAdded", "numFilesRemoved", "totalConsideredFiles")}


def vacuum(spark: SparkSession, path: str, retention_hours: float, *, force: bool = False) -> None:
    """VACUUM with the retention guard (``check_retention``)."""
    check_retention(retention_hours, force=force)
    previous = spark.conf.get(_RETENTION_CHECK, "true")
    if retention_hours < MIN_RETENTION_HOURS:
        spark.conf.set(_RETENTION_CHECK, "false")
    try:
        spark.sql(f"VACUUM delta.`{path}` RETAIN {retention_hours} HOURS")
    finally:
        spark.conf.set(_RETENTION_CHECK, previous or "true")


def generate_manifest(spark: SparkSession, path: str) -> None:
    """Write the symlink manifest for Redshift Spectrum / Athena."""
    spark.sql(f"GENERATE symlink_format_manifest FOR TABLE delta.`{path}`")


def maintain(
    spark: SparkSession,
    tables: Iterable[LakeTable],
    *,
    retention_hours: float = MIN_RETENTION_HOURS,
    force_retention: bool = False,
    manifests: bool = True,
) -> dict[str, dict[str, Any]]:
    """OPTIMIZE/Z-ORDER, VACUUM and manifest every existing table; missing tables are skipped."""
    from gladiator import lake

    check_retention(retention_hours, force=force_retention)  # fail before touching anything
    report: dict[str, dict[str, Any]] = {}
    for table in tables:
        key = f"{table.layer}/{table.name}"
        if not lake.table_exists(spark, table.path):
            report[key] = {"skipped": "no table"}
            continue
        started = time.monotonic()
        result: dict[str, Any] = {"optimize": optimize(spark, table.path, table.zorder_by)}
        vacuum(spark, table.path, retention_hours, force=force_retention)
        if manifests:
            generate_manifest(spark, table.path)
        result["seconds"] = round(time.monotonic() - started, 2)
        report[key] = result
        log.info("maintained %s: %s", key, result)
    return report
