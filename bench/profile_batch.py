"""Where a first batch's time goes: seconds, Spark jobs and tasks per entity and per gold table.

Not a test and not a benchmark of ratios: a profiler for the batch speed work. It generates a
scale, drops the valid landing files into an isolated lake on the running local stack (as the
landing Lambda would), then runs landing_to_bronze, bronze_to_silver and silver_to_gold
in-process on one Spark session, tagging every Spark job with the step that started it.

Seconds move with the machine's load; the counts of Spark jobs and tasks do not, and the driver
JVM's CPU seconds much less, which makes them the figures to compare before and after a change
on a shared machine. Extra Spark settings
are given as KEY=VALUE arguments, e.g. ``spark.databricks.delta.snapshotPartitions=50`` to see
the Delta default.

    .venv/bin/python bench/profile_batch.py --scale 0.01 [--spark-jobs] [KEY=VALUE ...]

``--spark-jobs`` also lists every Spark job of each step with its stages' call sites (from a Spark
event log): which code starts the fixed per-table jobs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gladiator import spark as spark_factory
from gladiator.config import load_settings, use_local_credentials
from gladiator.generate import generate
from tests.batch_helpers import IsolatedLake

JOBS = ("landing_to_bronze", "bronze_to_silver", "silver_to_gold")


class StepTimer:
    """Runs callables under a Spark job group named after the step, and keeps their seconds."""

    def __init__(self, spark: Any) -> None:
        self.context = spark.sparkContext
        self.steps: list[tuple[str, float, float]] = []
        self.run = 1  # job groups are per run, so a repeated run counts only its own Spark jobs
        self.stat = Path(f"/proc/{self.context._gateway.proc.pid}/stat")  # the driver JVM

    def cpu_seconds(self) -> float:
        """CPU seconds the driver JVM has used so far (all its threads: tasks, planning, JIT, GC).
        Less sensitive to other work on the machine than wall seconds."""
        fields = self.stat.read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def __call__(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.context.setJobGroup(f"{self.run}:{label}", label)
        started, cpu = time.monotonic(), self.cpu_seconds()
        try:
            return fn(*args, **kwargs)
        finally:
            self.steps.append((label, time.monotonic() - started, self.cpu_seconds() - cpu))
            self.context.setJobGroup("other", "other")

    def report(self) -> list[str]:
        tracker = self.context.statusTracker()
        lines = []
        for label, seconds, cpu in self.steps:
            jobs = tracker.getJobIdsForGroup(f"{self.run}:{label}")
            tasks = 0
            for job_id in jobs:
                info = tracker.getJobInfo(job_id)
                for stage_id in info.stageIds if info else []:
                    stage = tracker.getStageInfo(stage_id)
                    tasks += stage.numTasks if stage else 0
            lines.append(
                f"{label:40} {seconds:7.1f} s  jvm cpu {cpu:6.1f} s  spark jobs {len(jobs):4}  tasks {tasks:5}"
            )
        return lines


def instrument(timer: StepTimer) -> None:
    """Tag each entity of bronze_to_silver and each gold table of silver_to_gold."""
    from gladiator.jobs import bronze_to_silver, silver_to_gold

    clean = bronze_to_silver.clean_entity
    setattr(  # noqa: B010  (patching a module function for the profile)
        bronze_to_silver,
        "clean_entity",
        lambda ctx, contract, *a, **k: timer(f"silver:{contract.name}", clean, ctx, contract, *a, **k),
    )
    write = silver_to_gold.write_gold_table
    setattr(  # noqa: B010
        silver_to_gold,
        "write_gold_table",
        lambda df, path, contract, **k: timer(f"gold:{contract.name}", write, df, path, contract, **k),
    )


def load_landing(settings: Any, scale: float) -> tuple[IsolatedLake, str]:
    out = Path(tempfile.mkdtemp(prefix="gladiator-profile-"))
    generate(out, scale=scale, seed=7, faults=0.01, fmt="mixed", files_per_entity=2)
    faults = json.loads((out / "faults.json").read_text())["faults"]
    rejected = {f["file"] for f in faults if f["expected"] == "file_quarantined"}
    lake = IsolatedLake.create(settings)
    landing = out / "landing"
    for path in sorted(landing.rglob("*")):
        key = str(path.relative_to(landing))
        if path.is_file() and key not in rejected:
            lake.drop(key, path.read_bytes())
    return lake, lake.claim().batch_id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.01, help="TPC-H scale factor (default 0.01)")
    parser.add_argument(
        "--spark-jobs",
        action="store_true",
        help="also list every Spark job of each step: its call site (the line of Spark, Delta or "
        "Gladiator code that started it) and milliseconds, read from a Spark event log",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the batch this many times in the same JVM, each into a fresh lake: the later runs "
        "show what a warm driver (JIT-compiled, classes loaded) costs (default 1)",
    )
    parser.add_argument(
        "--warm-up",
        action="store_true",
        help="run local_emulation.warm_up.exercise (the ingestion service's driver warm-up) in the "
        "session before the timed batch",
    )
    parser.add_argument("conf", nargs="*", metavar="KEY=VALUE", help="extra local Spark settings")
    args = parser.parse_args()
    event_dir = Path(tempfile.mkdtemp(prefix="gladiator-profile-events-")) if args.spark_jobs else None
    if event_dir:
        spark_factory.LOCAL_CONF["spark.eventLog.enabled"] = "true"
        spark_factory.LOCAL_CONF["spark.eventLog.dir"] = event_dir.as_uri()
    for pair in args.conf:
        key, _, value = pair.partition("=")
        spark_factory.LOCAL_CONF[key] = value
    use_local_credentials()
    settings = load_settings("local")
    spark = spark_factory.get_spark("profile-batch", settings=settings)
    timer = StepTimer(spark)
    instrument(timer)
    if args.warm_up:
        from local_emulation.warm_up import exercise

        warm_started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="gladiator-warm-up-") as work:
            exercise(spark, Path(work))
        print(f"warm-up exercise: {time.monotonic() - warm_started:.1f} s", flush=True)
    for run in range(1, args.repeat + 1):
        lake, batch_id = load_landing(settings, args.scale)
        started, cpu = time.monotonic(), timer.cpu_seconds()
        for name in JOBS:
            job = importlib.import_module(f"glue_jobs.{name}")
            timer(f"job:{name}", job.main, lake.job_args(batch_id))
        total, cpu = time.monotonic() - started, timer.cpu_seconds() - cpu
        if args.repeat > 1:
            print(f"run {run} of {args.repeat}: {total:.1f} s, driver JVM cpu {cpu:.1f} s", flush=True)
        if run < args.repeat:
            lake.delete_objects()
            timer.steps.clear()
            timer.run += 1
    management = spark.sparkContext._jvm.java.lang.management.ManagementFactory
    jit = management.getCompilationMXBean().getTotalCompilationTime() / 1000
    gc = sum(bean.getCollectionTime() for bean in management.getGarbageCollectorMXBeans()) / 1000
    print("\n".join(timer.report()))
    print(
        f"total in-process {total:.1f} s, driver JVM cpu {cpu:.1f} s "
        f"(since JVM start: JIT compiling {jit:.1f} s, GC {gc:.1f} s) "
        f"(scale {args.scale}, settings {args.conf or 'default'})"
    )
    lake.delete_objects()
    if event_dir:
        spark.stop()  # flushes the event log
        print("\n".join(spark_jobs_report(event_dir)))


STAGE_SITE = re.compile(r" at /\S*/")  # "collect at /work/main/gladiator/x.py:148" -> "collect at x.py:148"


def stage_sites(stages: list[dict]) -> str:
    """A job's stages: call site and tasks, e.g. ``collect at bronze_to_silver.py:148 x8``."""
    sites = [f"{STAGE_SITE.sub(' at ', st['Stage Name'])} x{st['Number of Tasks']}" for st in stages]
    return "; ".join(sites) or "(no stage)"


def spark_jobs_report(event_dir: Path) -> list[str]:
    """Per job group (step), each Spark job's duration and its stages' call sites and tasks, from
    the event log (the job's description is the step's label, so the stages name the code)."""
    started: dict[int, tuple[str, str, int]] = {}
    ended: dict[int, int] = {}
    for path in event_dir.iterdir():
        for line in path.read_text().splitlines():
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerJobStart":
                group = (event.get("Properties") or {}).get("spark.jobGroup.id") or "other"
                site = stage_sites(event.get("Stage Infos") or [])
                started[event["Job ID"]] = (group, site, event["Submission Time"])
            elif kind == "SparkListenerJobEnd":
                ended[event["Job ID"]] = event["Completion Time"]
    lines: list[str] = []
    by_group: dict[str, list[str]] = {}
    for job_id in sorted(started):
        group, site, at = started[job_id]
        millis = ended.get(job_id, at) - at
        by_group.setdefault(group, []).append(f"    job {job_id:5} {millis:6} ms  {site[:140]}")
    for group, jobs in by_group.items():
        lines += [f"{group}: {len(jobs)} Spark jobs", *jobs]
    return lines


if __name__ == "__main__":
    main()
