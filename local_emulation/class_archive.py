"""Build the class-data-sharing archive of the local Spark JVM (run by ``make setup``).

    .venv/bin/python -m local_emulation.class_archive [--force]

A short Spark + Delta run on local files (a CSV read, a partitioned Delta write, a MERGE, a read
back, a Parquet write: the classes every batch job and test loads) runs in a child process whose
JVM writes the classes it loaded to a CDS archive when it exits (``-XX:ArchiveClassesAtExit``).
The archive goes to a temporary name first and is renamed into place, so a JVM never maps half
an archive. ``gladiator.jvm.class_sharing_options`` then gives every local Spark JVM the archive.
Nothing is downloaded; without the archive Spark runs as before, only slower to start.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gladiator import jvm


def _training_run(archive: Path, work: Path) -> None:
    """The child: one Spark session doing the common work, then a clean JVM exit (which writes
    the archive)."""
    from pyspark import SparkContext

    from gladiator.spark import LOCAL_CONF, get_spark
    from local_emulation.warm_up import exercise

    options = (
        f"{LOCAL_CONF['spark.driver.extraJavaOptions']} -XX:ArchiveClassesAtExit={archive} {jvm.QUIET_CDS}"
    )
    spark = get_spark("class-archive", extra_conf={"spark.driver.extraJavaOptions": options})
    exercise(spark, work)
    gateway = SparkContext._gateway
    spark.stop()
    proc = getattr(gateway, "proc", None)
    if (
        gateway is not None and proc is not None
    ):  # end the JVM now and wait: it writes the archive on the way out
        gateway.shutdown()
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=300)


def build(force: bool = False) -> Path | None:
    """Write the archive unless it is already there; returns its path (None if the JVM wrote
    none: Spark then runs without it)."""
    archive = jvm.class_archive()
    if archive.is_file() and not force:
        print(f"class archive up to date ({archive.name})", flush=True)
        return archive
    for stale in archive.parent.glob("spark-classes-*.jsa*"):
        stale.unlink()
    partial = archive.with_name(f"{archive.name}.{os.getpid()}.partial")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="class-archive-") as work:
        subprocess.run(
            [sys.executable, "-m", "local_emulation.class_archive", "--train", str(partial), work],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    if not partial.is_file():
        print("the JVM wrote no class archive: Spark runs without it", file=sys.stderr, flush=True)
        return None
    partial.rename(archive)
    size = archive.stat().st_size / 2**20
    print(
        f"class archive written ({archive.name}, {size:.0f} MiB, {time.monotonic() - started:.0f} s)",
        flush=True,
    )
    return archive


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild the archive even if it is up to date")
    parser.add_argument("--train", nargs=2, metavar=("ARCHIVE", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.train:
        _training_run(Path(args.train[0]), Path(args.train[1]))
    else:
        build(force=args.force)


if __name__ == "__main__":
    main()
