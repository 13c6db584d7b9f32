"""A micro-batch's valid orders, lines and status changes -> silver ``orders`` and ``lineitem``.

Why not one MERGE per table and one for the status changes (as before): a Delta MERGE reads the
target files it may touch, and on Delta OSS it skips files only on literal target-only
predicates, so each MERGE cost 3-25 s whatever the batch size. Here most rows take cheaper paths,
each idempotent on the batch id, and the result is the same as the guarded MERGE's (newer
``updated_at`` wins, an equal one is a no-op):

1. **Fold** the batch's status changes into the orders placed in the same batch (the latest event
   wins); only changes of orders placed in earlier batches are left over.
2. **Split** by existence: the keys of the batch already in silver are read with a literal
   key-range filter (Delta skips every file outside the batch's key range: the producer's order
   keys grow, so that is only the last few files). Usually none exist.
3. **Append** the rows whose key is new (``lake.append_with_txn``, txnAppId ``<stream>``): no
   target scan, no file rewrite.
4. **MERGE** only what may match (``lake.guarded_merge`` with ``key_range=``): re-sent orders
   (txnAppId ``<stream>-upsert``), and the left-over status changes as a partial update that never
   inserts (``<stream>-status``). Skipped when empty, which is the common case for re-sent orders.

A replay after a crash between two of these commits is still exact: the appended rows now exist,
so they take the MERGE path, where their equal ``updated_at`` changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from gladiator import lake
from gladiator.contracts import Contract
from gladiator.order_events import LINEITEM, ORDERS, STATUS_COLUMNS
from gladiator.transforms.silver import SILVER_METADATA, TABLE_PROPERTIES, partition_columns, silver_rows

log = logging.getLogger(__name__)

VERSION = ORDERS.version_column


@dataclass(frozen=True)
class KeyStats:
    """Rows, distinct keys and the range of the range key of a frame: one aggregation."""

    rows: int
    keys: int
    low: object = None
    high: object = None

    @property
    def repeats(self) -> bool:
        return self.keys < self.rows


def key_stats(df: DataFrame, keys: Sequence[str], range_key: str) -> KeyStats:
    """One Spark job for everything the silver write needs to know about ``df`` up front: whether
    a key repeats (then the newest version is picked), how many rows, and the key range that
    prunes the lookup of existing keys."""
    row = df.agg(
        F.count(F.lit(1)).alias("n"), F.count_distinct(*[F.col(k) for k in keys]).alias("k"),
        F.min(range_key).alias("lo"), F.max(range_key).alias("hi"),
    ).first()  # fmt: skip
    assert row is not None
    return KeyStats(int(row["n"]), int(row["k"]), row["lo"], row["hi"])


def newest(df: DataFrame, keys: Sequence[str], stats: KeyStats | None = None) -> DataFrame:
    """One row per key: the newest ``updated_at`` (MERGE needs one source row per key).

    A key repeats only when an order is re-sent within a batch, which is rare: unless ``stats``
    say so, the keys alone are counted first (a small shuffle), and only then are the full rows
    sorted by key."""
    if stats is not None and not stats.repeats:
        return df
    if stats is None and not df.groupBy(*keys).count().where("count > 1").take(1):
        return df
    w = Window.partitionBy(*keys).orderBy(F.col(VERSION).desc())
    return df.withColumn("__n", F.row_number().over(w)).where("__n = 1").drop("__n")


def fold_status_changes(orders: DataFrame, changes: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(orders with the newer in-batch status applied, status changes of orders not in ``orders``).

    ``orders`` and ``changes`` hold one row per ``o_orderkey`` (see :func:`newest`). A change
    older than its order's placement changes nothing (the ordering guard, applied early)."""
    change = changes.select(
        F.col("o_orderkey").alias("__key"),
        F.col("o_orderstatus").alias("__status"),
        F.col(VERSION).alias("__changed_at"),
    )
    joined = orders.join(F.broadcast(change), F.col("o_orderkey") == F.col("__key"), "left")
    newer = F.col("__changed_at") > F.col(VERSION)
    folded = joined.select(
        *[
            F.when(newer, F.col("__status")).otherwise(F.col(c)).alias(c)
            if c == "o_orderstatus"
            else F.when(newer, F.col("__changed_at")).otherwise(F.col(c)).alias(c)
            if c == VERSION
            else F.col(c)
            for c in orders.columns
        ]
    )
    left_over = changes.join(F.broadcast(orders.select("o_orderkey")), "o_orderkey", "left_anti")
    return folded, left_over


def existing_keys(
    rows: DataFrame, path: str, key: str, bounds: tuple[object, object] | None = None
) -> DataFrame | None:
    """The distinct ``key`` values of ``rows`` already in the table at ``path`` (None: none, or
    no rows). The target is read with a literal ``BETWEEN`` on the batch's key range (``bounds``,
    computed here if not given), so Delta's file statistics skip every file outside it; a table
    that does not exist yet holds none."""
    if bounds is None:
        found_bounds = rows.agg(F.min(key).alias("lo"), F.max(key).alias("hi")).first()
        bounds = (None, None) if found_bounds is None else (found_bounds["lo"], found_bounds["hi"])
    low, high = bounds
    if low is None:
        return None
    spark = rows.sparkSession
    target = (
        spark.read.format("delta").load(path).where(F.col(key).between(F.lit(low), F.lit(high))).select(key)
    )
    found = target.join(F.broadcast(rows.select(key).distinct()), key, "left_semi").distinct().collect()
    if not found:
        return None
    return spark.createDataFrame([(r[key],) for r in found], target.schema)


@dataclass
class SilverWrite:
    """Rows written to one silver table by one micro-batch."""

    appended: int = 0
    merged: int = 0


class SilverWriter:
    """Writes the micro-batches of one stream to silver; ``app_id`` is the stream name (the
    txnAppId prefix). Remembers which tables exist, so a batch asks the lake only until they do."""

    def __init__(self, app_id: str, orders_path: str, lineitem_path: str) -> None:
        self.app_id = app_id
        self.orders_path = orders_path
        self.lineitem_path = lineitem_path
        self._existing: set[str] = set()

    def _exists(self, spark: SparkSession, path: str) -> bool:
        if path not in self._existing and lake.table_exists(spark, path):
            self._existing.add(path)
        return path in self._existing

    def write(
        self,
        orders: DataFrame,
        lines: DataFrame,
        changes: DataFrame,
        metadata: list[Column],
        batch_id: int,
        *,
        status_changes: int | None = None,
    ) -> tuple[SilverWrite, SilverWrite]:
        """Orders (with the status changes) then lines; returns what each table received.
        ``status_changes``: how many valid changes the batch holds, if known (0 skips their part)."""
        order_stats = key_stats(orders, ["o_orderkey"], "o_orderkey")
        placed, left_over = newest(orders, ["o_orderkey"], order_stats), None
        if status_changes is None or status_changes > 0:
            placed, left_over = fold_status_changes(placed, newest(changes, ["o_orderkey"]))
        orders_written = self._upsert(ORDERS, placed, metadata, batch_id, self.orders_path, order_stats)
        if left_over is not None:
            left_over = left_over.persist()
            try:
                if left_over.count() and self._exists(left_over.sparkSession, self.orders_path):
                    # Status changes of orders placed in earlier batches: two columns of a row
                    # silver holds; one for an order silver does not hold changes nothing.
                    lake.guarded_merge(
                        left_over.select(*STATUS_COLUMNS, *metadata), self.orders_path, keys=["o_orderkey"],
                        version_column=VERSION, app_id=f"{self.app_id}-status", version=batch_id,
                        update_columns=[*STATUS_COLUMNS[1:], *SILVER_METADATA], insert=False,
                        key_range="o_orderkey",
                    )  # fmt: skip
            finally:
                left_over.unpersist()
        line_keys = list(LINEITEM.primary_key)
        line_stats = key_stats(lines, line_keys, "l_orderkey")
        lines_written = self._upsert(LINEITEM, newest(lines, line_keys, line_stats), metadata, batch_id,
                                     self.lineitem_path, line_stats)  # fmt: skip
        return orders_written, lines_written

    def _upsert(
        self,
        contract: Contract,
        rows: DataFrame,
        metadata: list[Column],
        batch_id: int,
        path: str,
        stats: KeyStats,
    ) -> SilverWrite:
        """New keys appended, keys already in silver merged (guarded); both idempotent on batch_id.
        ``stats``: the rows' key statistics (after ``newest`` there is one row per key)."""
        key = contract.primary_key[0]  # orders: o_orderkey; lineitem: l_orderkey (an order's lines)
        total = stats.keys
        if not total:
            return SilverWrite()
        rows = silver_rows(rows.select("*", *metadata), contract)
        found = (
            existing_keys(rows, path, key, (stats.low, stats.high))
            if self._exists(rows.sparkSession, path)
            else None
        )
        fresh = rows if found is None else rows.join(F.broadcast(found), key, "left_anti")
        again = None if found is None else rows.join(F.broadcast(found), key, "left_semi").persist()
        written = SilverWrite(merged=again.count() if again is not None else 0)
        written.appended = total - written.merged
        try:
            # An empty append would still commit (and create a table); skip it.
            if written.appended:
                lake.append_with_txn(
                    fresh,
                    path,
                    app_id=self.app_id,
                    version=batch_id,
                    partition_by=partition_columns(contract),
                    options=TABLE_PROPERTIES,
                )
            if again is not None:
                log.info(
                    "%s: %d rows of batch %d already in silver: MERGE",
                    contract.name,
                    written.merged,
                    batch_id,
                )
                lake.guarded_merge(
                    again, path, keys=contract.primary_key, version_column=VERSION,
                    app_id=f"{self.app_id}-upsert", version=batch_id, partition_by=partition_columns(contract),
                    key_range=key,
                )  # fmt: skip
        finally:
            if again is not None:
                again.unpersist()
        return written
