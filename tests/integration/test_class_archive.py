"""The class-data-sharing archive of the local Spark JVM (local_emulation/class_archive): a local
Spark JVM maps the Spark and Delta classes from it instead of loading them from the jars."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from local_emulation import class_archive

CHILD = textwrap.dedent(
    """
    import sys
    from gladiator.config import load_settings
    from gladiator.spark import get_spark, local_conf

    log, table = sys.argv[1], sys.argv[2]
    options = local_conf(load_settings())["spark.driver.extraJavaOptions"]
    spark = get_spark("cds-check", extra_conf={
        "spark.driver.extraJavaOptions": f"{options} -Xlog:class+load=info:file={log}"})
    spark.range(3).write.format("delta").save(table)
    spark.stop()
    """
)


def test_a_local_spark_jvm_maps_spark_and_delta_classes_from_the_archive(tmp_path: Path) -> None:
    archive = class_archive.build()  # up to date after `make setup`; else built here (~50 s)
    assert archive is not None and archive.is_file()
    log = tmp_path / "classes.txt"
    subprocess.run(
        [sys.executable, "-c", CHILD, str(log), str(tmp_path / "t")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    loads = log.read_text().splitlines()
    shared = "source: shared objects file (top)"  # the dynamic archive, above the JDK's own

    def source_of(cls: str) -> str:
        return next(line for line in loads if f"] {cls} source:" in line)

    assert shared in source_of("org.apache.spark.SparkContext")
    assert shared in source_of("org.apache.spark.sql.delta.DeltaLog")
    # Delta's classes, from the archive or read from its jar (lambda proxies, whose source is
    # their host class, are made at run time either way)
    delta = [line for line in loads if "] org.apache.spark.sql.delta." in line]
    from_archive = [line for line in delta if shared in line]
    from_jar = [line for line in delta if "delta-spark" in line]
    assert len(from_archive) > 2 * len(from_jar), (
        f"{len(from_archive)} mapped, {len(from_jar)} read from the jar"
    )
