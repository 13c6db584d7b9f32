"""Delta Lake I/O helpers shared by every writer job (batch, MySQL, stream, gold).

Three guarantees live here so no job re-invents them:

- **Idempotent append** (:func:`idempotent_append`): Delta ``txnAppId``/``txnVersion``; a retried
  job whose commit already landed writes nothing (DESIGN §3.4).
- **Guarded MERGE** (:func:`merge_latest`): upsert on the primary key where the newer
  ``updated_at`` wins and an equal one is a no-op; the MERGE itself also carries a txn id, so a
  re-run of the same batch commits nothing.
- **Catalog** (:func:`register_glue_table`, :func:`register_in_session`): every table is a
  Hive-compatible Delta entry in the Glue Data Catalog and is queryable by name in Spark SQL.

Paths are ``s3://`` URIs from ``Settings.lake_uri``; locally they are read through ``s3a``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Session confs Delta reads for idempotent DML (MERGE/UPDATE/DELETE), the counterpart of the
# txnAppId/txnVersion write options of appends.
_TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
_TXN_VERSION = "spark.databricks.delta.write.txnVersion"
_USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"


def table_exists(spark: SparkSession, path: str) -> bool:
    """True if ``path`` holds a Delta table (has a ``_delta_log`` with at least one commit)."""
    from delta.tables import DeltaTable

    try:
        return bool(DeltaTable.isDeltaTable(spark, path))
    except Exception:  # an unreachable or empty prefix is simply "no table yet"
        return False


def _snapshot(spark: SparkSession, path: str) -> Any:
    jvm: Any = spark._jvm
    log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
    return log.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())


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


def _metadata(user_metadata: dict[str, Any] | None) -> str | None:
    return json.dumps(user_metadata, sort_keys=True) if user_metadata else None


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
    committed, False if the pair was already committed. Creates the table on first write.

    Caveat (Delta semantics): a version *lower* than the last committed one for ``app_id`` is also
    skipped, so writers must commit their batches in sequence order; callers check
    :func:`committed_txn_version` first when batches may arrive out of order.
    """
    if already_committed(df.sparkSession, path, app_id, version):
        return False
    writer = (
        df.write.format("delta").mode("append").option("txnAppId", app_id).option("txnVersion", str(version))
    )
    if meta := _metadata(user_metadata):
        writer = writer.option("userMetadata", meta)
    for key, value in (options or {}).items():
        writer = writer.option(key, value)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)
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


def merge_latest(
    updates: DataFrame,
    path: str,
    *,
    keys: Sequence[str],
    version_column: str = "updated_at",
    app_id: str,
    version: int,
    partition_by: Sequence[str] = (),
    user_metadata: dict[str, Any] | None = None,
) -> bool:
    """MERGE ``updates`` into the Delta table at ``path`` on ``keys`` with the ordering guard.

    - a key not in the table is inserted;
    - a key in the table is updated only if the incoming ``version_column`` is strictly newer:
      an older version is stale and ignored, an equal one is a no-op;
    - ``updates`` must hold at most one row per key (resolve versions within the batch first).

    Idempotent on ``(app_id, version)`` through Delta's DML transaction identifiers: a re-run of
    an already committed batch commits nothing. If the table does not exist, it is created by an
    idempotent append of ``updates`` (same txn id, with ``partition_by``). Returns True if something was committed.
    """
    from delta.tables import DeltaTable

    spark = updates.sparkSession
    if not table_exists(spark, path):
        # First load: nothing to merge with; a plain append (same txn id) is one job, not a join.
        return idempotent_append(
            updates,
            path,
            app_id=app_id,
            version=version,
            partition_by=partition_by,
            user_metadata=user_metadata,
        )
    if already_committed(spark, path, app_id, version):
        return False
    on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
    guard = f"s.`{version_column}` > t.`{version_column}`"
    meta = _metadata(user_metadata)
    spark.conf.set(_TXN_APP_ID, app_id)
    spark.conf.set(_TXN_VERSION, str(version))
    if meta:
        spark.conf.set(_USER_METADATA, meta)
    try:
        (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(updates.alias("s"), on)
            .whenMatchedUpdateAll(condition=guard)
            .whenNotMatchedInsertAll()
            .execute()
        )
    finally:
        for conf in (_TXN_APP_ID, _TXN_VERSION, _USER_METADATA):
            spark.conf.unset(conf)
    return True


# --- Catalog ------------------------------------------------------------------------------------


def _glue_type(spark_type: str) -> str:
    """Spark simpleString -> Hive/Glue column type (they coincide for the contract types)."""
    return {"long": "bigint", "integer": "int"}.get(spark_type, spark_type)


def glue_table_input(
    name: str, location: str, schema: Any, *, partition_by: Sequence[str] = (), description: str = ""
) -> dict[str, Any]:
    """The Glue ``TableInput`` of a Delta table: a Hive-compatible entry Spark, Athena and Redshift
    Spectrum can resolve (``spark.sql.sources.provider=delta``, ``table_type=DELTA``)."""
    partitions = set(partition_by)
    columns = [
        {"Name": f.name, "Type": _glue_type(f.dataType.simpleString())}
        for f in schema.fields
        if f.name not in partitions
    ]
    partition_keys = [
        {"Name": f.name, "Type": _glue_type(f.dataType.simpleString())}
        for f in schema.fields
        if f.name in partitions
    ]
    return {
        "Name": name,
        "Description": description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE",
            "table_type": "DELTA",
            "classification": "delta",
            "spark.sql.sources.provider": "delta",
        },
        "PartitionKeys": partition_keys,
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": "org.apache.hadoop.mapred.SequenceFileInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                "Parameters": {"path": location, "serialization.format": "1"},
            },
        },
    }


def register_glue_table(
    glue: Any,
    database: str,
    name: str,
    location: str,
    schema: Any,
    *,
    partition_by: Sequence[str] = (),
    description: str = "",
) -> bool:
    """Create or update the Glue catalog entry of the Delta table ``database.name``.

    ``glue`` is an injected boto3 Glue client (moto locally). The database is created if missing.
    Idempotent: an existing entry is updated to the current schema. Returns True if created.
    """
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database})
    table_input = glue_table_input(name, location, schema, partition_by=partition_by, description=description)
    try:
        glue.get_table(DatabaseName=database, Name=name)
    except glue.exceptions.EntityNotFoundException:
        glue.create_table(DatabaseName=database, TableInput=table_input)
        return True
    glue.update_table(DatabaseName=database, TableInput=table_input)
    return False


def catalog_table_name(layer: str, name: str) -> str:
    """The catalog name of a lake table: ``<layer>_<name>`` (e.g. ``silver_orders``)."""
    return f"{layer}_{name}"


def register_in_session(spark: SparkSession, database: str, tables: Iterable[tuple[str, str]]) -> None:
    """Make ``database.<name>`` queryable in this Spark session for each ``(name, location)``.

    On Glue the Data Catalog is the metastore and already holds the entries; locally the session
    catalog is in memory, so each session declares the external Delta tables (cheap: no data read).
    """
    spark.sql(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    for name, location in tables:
        spark.sql(f"CREATE TABLE IF NOT EXISTS `{database}`.`{name}` USING DELTA LOCATION '{location}'")


def register_from_glue(spark: SparkSession, glue: Any, database: str) -> list[str]:
    """Declare every Delta table of the Glue ``database`` in the session (see register_in_session)."""
    paginator = glue.get_paginator("get_tables")
    tables = [
        (t["Name"], t["StorageDescriptor"]["Location"])
        for page in paginator.paginate(DatabaseName=database)
        for t in page["TableList"]
        if t.get("Parameters", {}).get("spark.sql.sources.provider") == "delta"
    ]
    register_in_session(spark, database, tables)
    return [name for name, _ in tables]
