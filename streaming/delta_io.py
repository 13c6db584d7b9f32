"""Delta writes of the stream: idempotent appends and MERGEs, both keyed on the micro-batch id.

Appends and full-row MERGEs use gladiator/lake.py. This module adds the one MERGE lake.py does
not offer: a partial update of chosen columns that never inserts (an order's status change).

Idempotency: every write carries Delta's ``txnAppId`` (the stream name) and ``txnVersion`` (the
micro-batch id). Delta records them in the commit and skips a later write with a version it has
already seen, so a replayed batch commits nothing twice. MERGEs use the same mechanism through the
session settings ``spark.databricks.delta.write.txnAppId/txnVersion``, and in addition keep an
ordering guard (a row replaces the stored one only if its version column is newer).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession

TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"
CONFLICT_RETRIES = 5


def _is_conflict(exc: Exception) -> bool:
    return "Concurrent" in type(exc).__name__ or "ConcurrentModificationException" in str(exc)[:300]


def merge_newer_wins(
    spark: SparkSession,
    path: str,
    source: DataFrame,
    *,
    keys: Sequence[str],
    version_column: str,
    app_id: str,
    version: int,
    update_columns: Sequence[str] | None = None,
    insert: bool = True,
    prune_on: Sequence[str] = (),
) -> None:
    """MERGE ``source`` into the table at ``path`` on ``keys``; newer ``version_column`` wins.

    ``update_columns`` limits what a match updates (default: every column); ``insert=False``
    ignores unmatched rows. ``prune_on`` adds equality on partition columns to the join so Delta
    reads only the touched partitions. Retries on concurrent-commit conflicts (another writer);
    the txn settings make a retry after a commit a no-op.
    """
    from delta.tables import DeltaTable

    from gladiator import lake

    if lake.already_committed(spark, path, app_id, version):
        return
    on = " AND ".join(f"t.`{c}` = s.`{c}`" for c in (*keys, *prune_on))
    guard = f"s.`{version_column}` > t.`{version_column}`"
    for attempt in range(CONFLICT_RETRIES):
        spark.conf.set(TXN_APP_ID, app_id)
        spark.conf.set(TXN_VERSION, str(version))
        try:
            merge = DeltaTable.forPath(spark, path).alias("t").merge(source.alias("s"), on)
            if update_columns is None:
                merge = merge.whenMatchedUpdateAll(condition=guard)
            else:
                merge = merge.whenMatchedUpdate(condition=guard, set={c: f"s.`{c}`" for c in update_columns})
            if insert:
                merge = merge.whenNotMatchedInsertAll()
            merge.execute()
            return
        except Exception as exc:
            if not _is_conflict(exc) or attempt == CONFLICT_RETRIES - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
        finally:
            spark.conf.unset(TXN_APP_ID)
            spark.conf.unset(TXN_VERSION)
