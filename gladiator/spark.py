"""The one place a SparkSession is built.

On AWS Glue 5.1 the job gets the session Glue configured (``--datalake-formats delta`` and the
job's ``--conf``); nothing here changes it. Locally the same job code gets a ``local[2]`` session
with the jars fetched at install time, Delta Lake, and ``s3://``/``s3a://`` on the emulator.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import TYPE_CHECKING, Any

from gladiator import jvm
from gladiator.config import Settings, load_settings, use_local_credentials

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}

# Tuned for 2 cores (MACHINE-NOTES: 8 shuffle partitions with AQE is ~30% faster than defaults).
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "8",
    "spark.default.parallelism": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    # -XX:-DontCompileHugeMethods: the contract checks compile to generated methods above the
    # JIT's 8,000-byte limit, which HotSpot otherwise leaves interpreted. Classifying 1.5M lineitem
    # rows (silver.cast_to_contract, local[2]): 12.0 s -> 4.9 s.
    "spark.driver.extraJavaOptions": (
        "-Duser.timezone=UTC -Dio.netty.tryReflectionSetAccessible=true -XX:-DontCompileHugeMethods"
    ),
    "spark.sql.parquet.compression.codec": "zstd",
    # Delta rebuilds a table's snapshot (its log state) with this many tasks; the default 50 is
    # sized for clusters. On 2 cores every snapshot load was a 50-task job: an SF 0.01 first batch
    # ran 4,133 tasks in bronze_to_silver + silver_to_gold, 1,146 with 2 (same data,
    # bench/profile_batch.py); gold 208 -> 158 s, silver 236 -> 208 s on a loaded machine.
    "spark.databricks.delta.snapshotPartitions": "2",
    # The ContextCleaner frees the blocks of RDDs nobody references (the stream's per-micro-batch
    # local checkpoints, cached batch results) only after a JVM GC; by default it forces one every
    # 30 min. A long-lived session (the stream, the shared test session) then filled its unified
    # memory with dead blocks (UNABLE_TO_ACQUIRE_MEMORY in the 200k-event test of a full suite).
    "spark.cleaner.periodicGC.interval": "1min",
    "spark.databricks.delta.schema.autoMerge.enabled": "false",
    "spark.databricks.delta.retentionDurationCheck.enabled": "true",
}


# SQL settings every session gets, on Glue as well as locally (set at run time on the session).
# Optimized writes: Delta shuffles each write by its partition columns and bins the rows into
# right-sized files, instead of one file per task per partition. Without it a partitioned silver
# table at SF 0.1 held 640-670 files of 13-37 KB (8 tasks x ~80 months), and every later scan
# paid per-file object-store round trips for them (bench/bench_batch.py).
SESSION_CONF = {
    "spark.databricks.delta.optimizeWrite.enabled": "true",
}


# On Glue the executors' JVM options are Glue's (the JIT flag above cannot be set at run time):
# there Spark itself runs plans with methods too large for the JIT without whole-stage codegen,
# which measured locally without the flag 12.0 s -> 6.9 s on the same 1.5M rows. Not set locally,
# where JIT-compiled whole-stage code is faster still.
GLUE_SESSION_CONF = {
    "spark.sql.codegen.hugeMethodLimit": "8000",
}


def running_on_glue() -> bool:
    """True inside an AWS Glue job (the awsglue library is only present there)."""
    return importlib.util.find_spec("awsglue") is not None


def s3a_conf(endpoint: str | None, region: str) -> dict[str, str]:
    """Hadoop S3A settings; ``s3://`` is served by S3A, as on Glue and EMR.

    Credentials come from the environment (never from Spark config).
    """
    conf = {
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
        "spark.hadoop.fs.s3a.endpoint.region": region,
        "spark.hadoop.fs.s3a.fast.upload": "true",
        "spark.hadoop.fs.s3a.connection.maximum": "64",
    }
    if endpoint:
        conf |= {
            "spark.hadoop.fs.s3a.endpoint": endpoint,
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https")).lower(),
            # The emulator has no real multi-part copy semantics worth tuning; keep retries short
            # so a stopped emulator fails fast instead of hanging for minutes.
            "spark.hadoop.fs.s3a.attempts.maximum": "3",
            "spark.hadoop.fs.s3a.retry.limit": "3",
            "spark.hadoop.fs.s3a.connection.establish.timeout": "5000",
        }
    return conf


def local_conf(settings: Settings, *, driver_memory: str = "2g") -> dict[str, str]:
    """Every Spark setting of a local session (exposed for spark-submit and for tests)."""
    conf = dict(LOCAL_CONF) | DELTA_CONF | SESSION_CONF | s3a_conf(settings.aws_endpoint, settings.region)
    conf["spark.jars"] = ",".join(str(p) for p in jvm.jars("spark"))
    if sharing := jvm.class_sharing_options():
        conf["spark.driver.extraJavaOptions"] += f" {sharing}"
    conf["spark.driver.memory"] = driver_memory
    conf["spark.sql.warehouse.dir"] = str(settings.home / "spark-warehouse")
    return conf


def get_spark(
    app_name: str,
    *,
    settings: Settings | None = None,
    extra_conf: dict[str, str] | None = None,
    master: str = "local[2]",
    driver_memory: str | None = None,
) -> SparkSession:
    """Return the job's SparkSession: Glue's own on AWS, a ``local[2]`` Delta session locally.

    Idempotent: a second call in the same process returns the running session.
    """
    from pyspark.sql import SparkSession

    if running_on_glue():
        spark = SparkSession.builder.appName(app_name).getOrCreate()
        _apply_session_conf(spark, GLUE_SESSION_CONF)
        return spark

    settings = settings or load_settings()
    if settings.profile == "local":
        use_local_credentials()
    os.environ.update({k: v for k, v in jvm.java_env().items() if k in ("JAVA_HOME", "PATH")})
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = local_conf(settings, driver_memory=driver_memory or settings.driver_memory or "2g")
    conf |= extra_conf or {}
    builder = SparkSession.builder.appName(app_name).master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    _quiet_codegen_fallback(spark)
    _apply_session_conf(spark)
    return spark


def new_session(spark: SparkSession) -> SparkSession:
    """Another session of ``spark``'s SparkContext with the same runtime SQL settings, for work
    run from another thread (gladiator.jobs.parallel).

    Each session has its own SQL conf: Delta's transaction id and commit metadata of a MERGE are
    session settings (``gladiator.lake.transaction``), so threads sharing one session would commit
    under each other's ids. Static settings (the Delta extension, the catalog) come with the
    SparkContext; the runtime ones set on ``spark`` (codec, time zone, optimized writes) are copied.
    """
    session = spark.newSession()
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    settings = jvm.scala.collection.JavaConverters.mapAsJavaMap(spark._jsparkSession.conf().getAll())
    for key, value in dict(settings).items():
        if session.conf.isModifiable(key) and session.conf.get(key, None) != value:
            session.conf.set(key, value)
    return session


def batch_cache_level() -> Any:
    """The StorageLevel batch jobs persist intermediate results with: DISK_ONLY.

    A cached partition is one block; at SF 1 a block of classified lineitem rows is hundreds of
    MB. MEMORY_AND_DISK reads a spilled block back into one heap buffer to cache it again, which
    ran a 2 GB driver out of heap (bronze_to_silver, lineitem, SF 1). DISK_ONLY streams the block
    from local disk instead.
    """
    from pyspark import StorageLevel

    return StorageLevel.DISK_ONLY


def _apply_session_conf(spark: SparkSession, extra: dict[str, str] | None = None) -> None:
    for key, value in (SESSION_CONF | (extra or {})).items():
        spark.conf.set(key, value)


def _quiet_codegen_fallback(spark: SparkSession) -> None:
    """Silence Spark's whole-stage-codegen fallback reports.

    The contract checks are long CASE chains; for wide entities the generated Java method passes
    the JVM's 64 KB limit, and Spark then runs the interpreted plan (``spark.sql.codegen.fallback``,
    on by default) with identical results. Each fallback logs the whole generated source and plan,
    tens of kilobytes per micro-batch, which buries every useful line of a job's output.
    """
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # a running local session always has its gateway
    configurator = jvm.org.apache.logging.log4j.core.config.Configurator
    level = jvm.org.apache.logging.log4j.Level.OFF
    for logger in (
        "org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator",
        "org.apache.spark.sql.execution.WholeStageCodegenExec",
    ):
        configurator.setLevel(logger, level)
