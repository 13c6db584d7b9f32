"""The Glue Data Catalog entries of the lake's Delta tables, and their names in a Spark session.

Every lake table is a Hive-compatible Delta entry in the Glue database (``Settings.glue_database``),
named ``<layer>_<name>`` (:func:`catalog_table_name`), so Spark SQL, Athena and Redshift Spectrum
resolve it by name. Locally the session catalog is in memory: :func:`register_from_glue` declares
the catalog's tables in a session. Writes to the tables themselves are in ``gladiator.lake``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


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
