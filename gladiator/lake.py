"""Every write to a lake Delta table goes through here: batch jobs, the stream and gold.

One place for each guarantee (DESIGN §3.4), so no writer re-invents one:

- **Paths** (:func:`lake_path`): ``<root>/<layer>/<name>`` for the layers of DESIGN §1
  (bronze, silver, gold, quarantine, dead_letter, _checkpoints).
- **Transaction** (:func:`transaction`): Delta's DML ``txnAppId``/``txnVersion``/``userMetadata``
  session settings for the duration of one block, restored afterwards (no session state left).
- **Idempotent append** (:func:`idempotent_append`) and **overwrite** (:func:`overwrite`): the
  same pair as write options; a retried job whose commit already landed writes nothing.
- **Guarded MERGE** (:func:`guarded_merge`): upsert on the key, the newer ``updated_at`` wins (an
  equal one is a no-op); options for a partial update, no insert, deleting target rows the source
  no longer has, updating only rows whose values changed, a literal key-range predicate (Delta
  OSS skips target files only on literal target-only predicates) and retries on a concurrent
  commit. It is the project's only ``DeltaTable.merge`` call.

Catalog entries of the tables are in ``gladiator.catalog``. Paths are ``s3://`` URIs from
``Settings.lake_uri`` (read through ``s3a`` locally) or local folders in tests.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, DataFrameWriter, SparkSession

log = logging.getLogger(__name__)

BRONZE, SILVER, GOLD = "bronze", "silver", "gold"
QUARANTINE, DEAD_LETTER, CHECKPOINTS = "quarantine", "dead_letter", "_checkpoints"
LAYERS = (BRONZE, SILVER, GOLD, QUARANTINE, DEAD_LETTER, CHECKPOINTS)

# Session confs Delta reads for idempotent DML (MERGE/UPDATE/DELETE), the counterpart of the
# txnAppId/txnVersion/userMetadata write options of appends and overwrites.
TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"
USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"
CONFLICT_RETRIES = 5


def lake_path(root: str, layer: str, name: str = "") -> str:
    """``<root>/<layer>/<name>`` (DESIGN §1); ``root`` is ``s3://<lake bucket>``, its ``s3a://``
    form, or a folder. Without ``name``, the layer's prefix."""
    if layer not in LAYERS:
        raise ValueError(f"unknown lake layer {layer!r}; expected one of {', '.join(LAYERS)}")
    prefix = f"{root.rstrip('/')}/{layer}"
    return f"{prefix}/{name}" if name else prefix


# --- table state ---------------------------------------------------------------------------


def table_exists(spark: SparkSession, path: str) -> bool:
    """True if ``path`` holds a Delta table (has a ``_delta_log`` with at least one commit)."""
    from delta.tables import DeltaTable

    try:
        return bool(DeltaTable.isDeltaTable(spark, path))
    except Exception:  # an unreachable or empty prefix is simply "no table yet"
        return False


def _snapshot(spark: SparkSession, path: str) -> Any:
    jvm: Any = spark._jvm
    log_ = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
    return log_.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())


def table_version(spark: SparkSession, path: str) -> int | None:
    """The latest committed Delta version of ``path``, or None if there is no table."""
    if not table_exists(spark, path):
        return None
    return int(_snapshot(spark, path).version())


def committed_txn_version(spark: SparkSession, path: str, app_id: str) -> int | None:
    """The highest ``txnVersion`` committed by ``app_id`` on the table (None: never / no table).

    Read from the Delta snapshot's SetTransaction actions, the same state Delta consults to skip a
    duplicate idempotent write.
    """
    if not table_exists(spark, path):
        return None
    found = _snapshot(spark, path).transactions().get(app_id)
    return int(found.get()) if found.isDefined() else None


def already_committed(spark: SparkSession, path: str, app_id: str, version: int) -> bool:
    """True if a write of ``(app_id, version)`` (or a later version) is already in the table."""
    committed = committed_txn_version(spark, path, app_id)
    return committed is not None and committed >= version


# --- transactions ----------------------------------------------------------------------------


def commit_metadata(user_metadata: dict[str, Any] | None) -> str | None:
    """The ``userMetadata`` text of a commit (sorted JSON), or None."""
    return json.dumps(user_metadata, sort_keys=True) if user_metadata else None


@contextmanager
def transaction(
    spark: SparkSession, *, app_id: str, version: int, user_metadata: dict[str, Any] | None = None
) -> Iterator[None]:
    """Delta DML commits inside the block carry ``(app_id, version)`` (and the metadata).

    Delta skips a MERGE/UPDATE/DELETE whose ``(app_id, version)`` is already committed, so a
    re-run of a batch changes nothing. The session settings are restored on exit, whatever they
    were before (unset if they were unset).
    """
    confs = {TXN_APP_ID: app_id, TXN_VERSION: str(version)}
    if meta := commit_metadata(user_metadata):
        confs[USER_METADATA] = meta
    previous: dict[str, str | None] = {
        key: spark.conf.get(key, None) for key in (TXN_APP_ID, TXN_VERSION, USER_METADATA)
    }
    for key, value in confs.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, before in previous.items():
            if before is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, before)


# --- appends and overwrites --------------------------------------------------------------------


def _writer(
    df: DataFrame,
    mode: str,
    *,
    app_id: str,
    version: int,
    partition_by: Sequence[str],
    user_metadata: dict[str, Any] | None,
    options: dict[str, str] | None = None,
) -> DataFrameWriter:
    writer = df.write.format("delta").mode(mode).option("txnAppId", app_id).option("txnVersion", str(version))
    if meta := commit_metadata(user_metadata):
        writer = writer.option("userMetadata", meta)
    for key, value in (options or {}).items():
        writer = writer.option(key, value)
    return writer.partitionBy(*partition_by) if partition_by else writer


def append_with_txn(
    df: DataFrame,
    path: str,
    *,
    app_id: str,
    version: int,
    partition_by: Sequence[str] = (),
    user_metadata: dict[str, Any] | None = None,
    options: dict[str, str] | None = None,
) -> None:
    """Append ``df`` to the Delta table at ``path`` (created on first write) with the
    ``txnAppId``/``txnVersion`` options and no pre-check: Delta itself skips the write if the pair,
    or a later version of ``app_id``, is committed (``WriteIntoDelta`` checks it in the transaction
    that would commit the files, before writing any). For writers that do not need to know whether
    it committed (the stream: one Delta log state job and three log listings fewer per append)."""
    _writer(
        df,
        "append",
        app_id=app_id,
        version=version,
        partition_by=partition_by,
        user_metadata=user_metadata,
        options=options,
    ).save(path)


def idempotent_append(
    df: DataFrame,
    path: str,
    *,
    app_id: str,
    version: int,
    partition_by: Sequence[str] = (),
    user_metadata: dict[str, Any] | None = None,
    options: dict[str, str] | None = None,
) -> bool:
    """Append ``df`` to the Delta table at ``path`` exactly once per ``(app_id, version)``.

    ``version`` is the batch sequence number (monotonic per writer). Delta records the pair in the
    same atomic commit as the data, so a retry after a crash at any point either finds the commit
    (and writes nothing) or finds no trace of it (and writes everything). Returns True if this call
    committed, False if the pair was already committed (checked first: :func:`append_with_txn`
    appends without asking). Creates the table on first write.

    Caveat (Delta semantics): a version *lower* than the last committed one for ``app_id`` is also
    skipped, so writers must commit their batches in sequence order; callers check
    :func:`committed_txn_version` first when batches may arrive out of order.
    """
    if already_committed(df.sparkSession, path, app_id, version):
        return False
    append_with_txn(
        df, path, app_id=app_id, version=version, partition_by=partition_by,
        user_metadata=user_metadata, options=options,
    )  # fmt: skip
    return True


def overwrite(
    df: DataFrame,
    path: str,
    *,
    app_id: str,
    version: int,
    partition_by: Sequence[str] = (),
    user_metadata: dict[str, Any] | None = None,
) -> bool:
    """Replace the Delta table at ``path`` (data and schema) with ``df``, once per
    ``(app_id, version)``; returns False if the pair was already committed."""
    if already_committed(df.sparkSession, path, app_id, version):
        return False
    _writer(
        df,
        "overwrite",
        app_id=app_id,
        version=version,
        partition_by=partition_by,
        user_metadata=user_metadata,
        options={"overwriteSchema": "true"},
    ).save(path)
    return True


def create_empty_table(
    spark: SparkSession, path: str, schema: Any, *, partition_by: Sequence[str] = ()
) -> bool:
    """Create an empty Delta table with ``schema`` at ``path`` if none exists (returns created)."""
    if table_exists(spark, path):
        return False
    writer = spark.createDataFrame([], schema).write.format("delta").mode("append")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)
    return True


# --- the guarded MERGE -------------------------------------------------------------------------


def _is_conflict(exc: Exception) -> bool:
    return "Concurrent" in type(exc).__name__ or "ConcurrentModificationException" in str(exc)[:300]


def key_range_predicate(updates: DataFrame, column: str) -> Column | None:
    """``t.<column> BETWEEN <min> AND <max>`` of the source's values, as literals (None if the
    source is empty). Delta OSS skips target files on such target-only literal predicates (file
    min/max statistics), never on ``t.k = s.k``: this is how a MERGE reads less than the table."""
    from pyspark.sql import functions as F

    bounds = updates.agg(F.min(column).alias("lo"), F.max(column).alias("hi")).first()
    if bounds is None or bounds["lo"] is None:
        return None
    return F.col(f"t.`{column}`").between(F.lit(bounds["lo"]), F.lit(bounds["hi"]))


def _matched_condition(
    keys: Sequence[str], set_columns: Sequence[str], version_column: str | None, only_changed: bool
) -> str | None:
    conditions = []
    if version_column:
        conditions.append(f"s.`{version_column}` > t.`{version_column}`")
    if only_changed:
        values = [c for c in set_columns if c not in set(keys)]
        conditions.append("(" + " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in values) + ")")
    return " AND ".join(conditions) or None


def _execute_merge(
    updates: DataFrame,
    path: str,
    on: str | Column,
    *,
    matched: str | None,
    update_columns: Sequence[str] | None,
    insert: bool,
    delete_missing: bool,
    scope: str | None = None,
) -> None:
    from delta.tables import DeltaTable

    merge = DeltaTable.forPath(updates.sparkSession, path).alias("t").merge(updates.alias("s"), on)
    if update_columns is None:
        merge = merge.whenMatchedUpdateAll(condition=matched)
    else:
        merge = merge.whenMatchedUpdate(condition=matched, set={c: f"s.`{c}`" for c in update_columns})
    if insert:
        merge = merge.whenNotMatchedInsertAll()
    if delete_missing:
        merge = merge.whenNotMatchedBySourceDelete(condition=scope)
    merge.execute()


def guarded_merge(
    updates: DataFrame,
    path: str,
    *,
    keys: Sequence[str],
    app_id: str,
    version: int,
    version_column: str | None = "updated_at",
    update_columns: Sequence[str] | None = None,
    insert: bool = True,
    delete_missing: bool = False,
    only_changed: bool = False,
    key_range: str | None = None,
    scope: str | None = None,
    partition_by: Sequence[str] = (),
    create_options: dict[str, str] | None = None,
    user_metadata: dict[str, Any] | None = None,
    conflict_retries: int = CONFLICT_RETRIES,
) -> bool:
    """MERGE ``updates`` into the Delta table at ``path`` on ``keys`` (null-safe equality).

    - a matched row is updated only if the incoming ``version_column`` is strictly newer (an older
      version is stale and ignored, an equal one a no-op); ``version_column=None`` drops the guard
      (gold, a deterministic function of silver). ``only_changed`` further limits the update to
      rows where one of the updated values differs (gold facts: unchanged rows stay in place);
    - ``update_columns`` limits what a match updates (default: every column);
    - ``insert=False`` ignores source rows with no match; ``delete_missing`` deletes target rows
      the source does not hold (the source is then the whole table, not a change set);
    - ``key_range`` (a key column) adds its literal min/max range from the source to the join, so
      Delta reads only target files that overlap it (not with ``delete_missing``);
    - ``scope`` (a SQL predicate on the target's columns, as ``t.`col```) limits the MERGE to the
      target rows that satisfy it: only they are matched, and with ``delete_missing`` only they
      are deleted when the source lacks them (the source is then every row of the scope);
    - ``updates`` must hold at most one row per key (resolve versions within the batch first).

    Idempotent on ``(app_id, version)`` (:func:`transaction`): a re-run of a committed batch commits
    nothing; a concurrent commit by another writer is retried up to ``conflict_retries`` times.
    Without a table, an idempotent append of ``updates`` creates it (``partition_by``, table
    properties ``create_options``) if ``insert``. Returns True if this call committed.
    """
    spark = updates.sparkSession
    if key_range and delete_missing:
        raise ValueError("a key range with delete_missing would delete every row outside the range")
    if not table_exists(spark, path):
        if not insert:
            return False
        # First load: nothing to merge with; a plain append (same txn id) is one job, not a join.
        return idempotent_append(
            updates,
            path,
            app_id=app_id,
            version=version,
            partition_by=partition_by,
            user_metadata=user_metadata,
            options=create_options,
        )
    on: str | Column = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
    if scope:
        on = f"{on} AND ({scope})"
    if key_range and (bounded := key_range_predicate(updates, key_range)) is not None:
        from pyspark.sql import functions as F

        on = F.expr(str(on)) & bounded
    matched = _matched_condition(keys, update_columns or updates.columns, version_column, only_changed)

    def execute() -> None:
        _execute_merge(
            updates, path, on, matched=matched, update_columns=update_columns, insert=insert,
            delete_missing=delete_missing, scope=scope,
        )  # fmt: skip

    return _commit_with_retries(
        spark, path, execute, app_id=app_id, version=version, user_metadata=user_metadata,
        conflict_retries=conflict_retries,
    )  # fmt: skip


def _commit_with_retries(
    spark: SparkSession,
    path: str,
    execute: Callable[[], None],
    *,
    app_id: str,
    version: int,
    user_metadata: dict[str, Any] | None,
    conflict_retries: int,
) -> bool:
    """Run one DML ``execute`` in :func:`transaction`; retried on a concurrent commit (True if
    this call committed, False if ``(app_id, version)`` already was)."""
    for attempt in range(conflict_retries + 1):
        if already_committed(spark, path, app_id, version):
            return False
        try:
            with transaction(spark, app_id=app_id, version=version, user_metadata=user_metadata):
                execute()
            return True
        except Exception as exc:
            if not _is_conflict(exc) or attempt == conflict_retries:
                raise
            log.warning("%s: concurrent commit, MERGE retried (%d)", path, attempt + 1)
            time.sleep(0.5 * (attempt + 1))
    return False  # not reached: the last attempt returns or raises
