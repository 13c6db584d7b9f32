"""Batch lakehouse benchmark (not a test): landing -> bronze -> silver (-> gold if the job exists)
vs a bare Spark CSV -> Parquet conversion of the same landing files, side by side.

    .venv/bin/python bench/bench_batch.py [--scales 0.1,1] [--no-extras] [--no-gold]

Per scale:
- the pipeline through the local runner (spark-submit of the real job scripts, JVM start-up
  included), wall time per job, and the peak RSS of all its processes (aim <= 3 GiB), per job
  and, at the peak, per process kind (java, python);
- the bare conversion: a spark-submit reading the same CSV files from S3 with Spark's CSV reader
  (all strings, no validation) and writing Parquet (zstd) to the lake; ratio pipeline/bare
  (aim <= 2.5x at SF1);
then, on the silver lineitem of the largest scale (in one extra Spark session):
- the codec table: zstd / snappy / gzip, size and write time;
- lineitem partitioning: by ship month (no join) vs by order month (join with orders): write time,
  files, and a one-month query on each layout's own key.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from gladiator import constants, pipeline  # noqa: E402
from gladiator.config import load_settings, use_local_credentials  # noqa: E402
from gladiator.contracts import CONTRACTS  # noqa: E402
from gladiator.jobs.parallel import job_threads  # noqa: E402
from local_emulation import runner  # noqa: E402
from tests.batch_helpers import IsolatedLake  # noqa: E402

BARE_SCRIPT = """
import sys, time
from gladiator.spark import get_spark
src, dst = sys.argv[1], sys.argv[2]
spark = get_spark("bare_csv_to_parquet")
started = time.monotonic()
for entity in sys.argv[3].split(","):
    (spark.read.option("header", True).csv(f"{src}/{entity}/*.csv")
        .write.mode("overwrite").parquet(f"{dst}/{entity}"))
print("BARE_WORK_SECONDS", time.monotonic() - started)
"""


class PeakRss:
    """Samples the summed RSS of this process's descendants (the spark-submit trees) every 0.5 s:
    ``peak`` over all of them, ``per_job`` by the job script each child process tree runs."""

    def __init__(self) -> None:
        self.peak = 0
        self.per_job: dict[str, int] = {}
        self.at_peak: dict[str, int] = {}  # RSS by process kind (java, python, ...) at the peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _job_of(pid: int) -> str:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return "other"
        scripts = [Path(a.decode()).stem for a in argv if a.endswith(b".py")]
        if b"-m" in argv[:-1]:  # the local job driver (python -m local_emulation.job_driver)
            return argv[argv.index(b"-m") + 1].decode().rsplit(".", 1)[-1]
        return scripts[-1] if scripts else "other"

    def _sample(self) -> tuple[dict[str, int], dict[str, int]]:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        kind: dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(stat[1]), []).append(int(entry))
                rss[int(entry)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
                kind[int(entry)] = Path(f"/proc/{entry}/comm").read_text().strip()
            except (OSError, IndexError, ValueError):
                continue
        by_job: dict[str, int] = {}
        by_kind: dict[str, int] = {}
        for child in children.get(os.getpid(), []):
            total, stack = 0, [child]
            while stack:
                pid = stack.pop()
                total += rss.get(pid, 0)
                by_kind[kind.get(pid, "?")] = by_kind.get(kind.get(pid, "?"), 0) + rss.get(pid, 0)
                stack += children.get(pid, [])
            job = self._job_of(child)
            by_job[job] = by_job.get(job, 0) + total
        return by_job, by_kind

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            by_job, by_kind = self._sample()
            if sum(by_job.values()) > self.peak:
                self.peak = sum(by_job.values())
                self.at_peak = {k: v for k, v in by_kind.items() if v}
            for job, total in by_job.items():
                self.per_job[job] = max(self.per_job.get(job, 0), total)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bucket_bytes(lake: IsolatedLake, prefix: str) -> int:
    s3 = lake.client("s3")
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=lake.lake_bucket, Prefix=prefix):
        total += sum(o["Size"] for o in page.get("Contents", []))
    return total


def run_pipeline(settings, landing: Path, rejected: set[str], *, gold: bool, threads: int | None):
    """Drop the valid landing files into a new isolated lake and run the batch jobs on them
    (``threads``: ``$GLADIATOR_JOB_THREADS`` of the job driver, None = the default)."""
    lake = IsolatedLake.create(settings)
    entities = list(CONTRACTS)
    for path in sorted(landing.rglob("*.csv")):
        key = str(path.relative_to(landing))
        if key not in rejected and key.split("/")[0] in entities:
            lake.drop(key, path.read_bytes())
    batch = lake.claim()
    argv = lake.job_args(batch.batch_id)
    common = {k: v for k, v in zip(argv[1::2], argv[2::2], strict=True) if k != "--batch_id"}
    jobs = ["landing_to_bronze", "bronze_to_silver"]
    if gold and pipeline.SILVER_TO_GOLD.script.exists():
        jobs.append("silver_to_gold")
    previous = os.environ.pop(constants.JOB_THREADS, None)
    if threads is not None:
        os.environ[constants.JOB_THREADS] = str(threads)  # the job driver inherits it
    try:
        with PeakRss() as rss:
            started = time.monotonic()
            result = runner.run_pipeline(
                batch.batch_id, batch_seq=batch.batch_seq, settings=settings, common=common, jobs=jobs
            )
            seconds = time.monotonic() - started
    finally:
        os.environ.pop(constants.JOB_THREADS, None)
        if previous is not None:
            os.environ[constants.JOB_THREADS] = previous
    return lake, result, seconds, rss


def run_scale(
    settings, scale: float, work: Path, *, gold: bool = True, threads: list[int] | None = None
) -> tuple[IsolatedLake, dict]:
    out = work / f"sf{scale}"
    started = time.monotonic()
    # In its own process: the generator's memory goes back to the OS before the pipeline runs.
    subprocess.run(
        [sys.executable, "-m", "gladiator_cli", "generate", "--scale", str(scale), "--out", str(out),
         "--seed", "42", "--faults", "0.01", "--format", "csv", "--files-per-entity", "4"],
        check=True, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    gen_s = time.monotonic() - started
    faults = json.loads((out / "faults.json").read_text())["faults"]
    rejected = {f["file"] for f in faults if f["expected"] == "file_quarantined"}
    landing = out / "landing"
    entities = list(CONTRACTS)
    # The other thread counts first, each on its own lake; the default one last (its lake stays).
    by_threads = {}
    for n in threads or []:
        other, _, seconds, _ = run_pipeline(settings, landing, rejected, gold=gold, threads=n)
        other.delete_objects()
        by_threads[n] = round(seconds, 1)
        print(f"sf{scale}: pipeline with {n} job thread(s): {seconds:.1f} s", flush=True)
    lake, result, pipeline_s, rss = run_pipeline(settings, landing, rejected, gold=gold, threads=None)
    # the bare conversion of the same CSV files, also through spark-submit
    script = work / "bare.py"
    script.write_text(BARE_SCRIPT)
    from gladiator.spark import local_conf

    conf = local_conf(settings)
    command = [
        str(runner.SPARK_SUBMIT),
        "--master",
        "local[2]",
        "--driver-memory",
        conf.pop("spark.driver.memory"),
    ]
    command += ["--jars", conf.pop("spark.jars")]
    for k, v in conf.items():
        command += ["--conf", f"{k}={v}"]
    src = f"s3a://{lake.landing_bucket}"
    dst = f"s3a://{lake.lake_bucket}/bare"
    with PeakRss() as bare_rss:
        started = time.monotonic()
        proc = subprocess.run(
            [*command, str(script), src, dst, ",".join(entities)],
            env=runner._environment(settings), capture_output=True, text=True, check=True,
        )  # fmt: skip
        bare_s = time.monotonic() - started
    bare_work = float(
        next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith("BARE_WORK"))
    )
    figures = {
        "scale": scale,
        "generate_s": round(gen_s, 1),
        "landing_mb": round(sum(p.stat().st_size for p in landing.rglob("*.csv")) / 2**20, 1),
        "pipeline_s": round(pipeline_s, 1),
        "jobs_s": {j.name: j.seconds for j in result.jobs if j.state == "SUCCEEDED"},
        "pipeline_peak_rss_gib": round(rss.peak / 2**30, 2),
        "peak_rss_gib_by_job": {job: round(b / 2**30, 2) for job, b in rss.per_job.items() if b},
        "at_peak_rss_gib_by_process": {k: round(b / 2**30, 2) for k, b in rss.at_peak.items()},
        "bare_s": round(bare_s, 1),
        "bare_work_s": round(bare_work, 1),
        "bare_peak_rss_gib": round(bare_rss.peak / 2**30, 2),
        "ratio_pipeline_over_bare": round(pipeline_s / bare_s, 2),
        "silver_mb": round(bucket_bytes(lake, "silver/") / 2**20, 1),
    }
    if by_threads:  # side by side: each thread count's pipeline seconds over the default's
        figures["pipeline_s_by_job_threads"] = by_threads | {
            f"default ({job_threads()})": figures["pipeline_s"]
        }
        figures["ratio_by_job_threads_over_default"] = {
            n: round(s / pipeline_s, 2) for n, s in by_threads.items()
        }
    return lake, figures


def gold_table_seconds(log_file: Path) -> dict[str, float]:
    """Seconds per gold table rebuilt, from the report line of a silver_to_gold job log."""
    reports = [
        json.loads(line)
        for line in log_file.read_text(errors="replace").splitlines()
        if line.startswith('{"job": "silver_to_gold"')
    ]
    return {name: t["seconds"] for name, t in reports[-1]["tables"].items()} if reports else {}


INCREMENTAL_JOBS = ["landing_to_bronze", "mysql_to_bronze", "bronze_to_silver", "silver_to_gold"]


def incremental(settings, scale: float, work: Path) -> dict:
    """Goal 3, through the local runner (all batch jobs but the warehouse load, which would touch
    the demo's schema): batch 1 = the landing files plus the full OLTP extraction (a scratch
    MariaDB database seeded with the same truth); then ~1 % of the orders change in MySQL
    (``mysql churn``) and the scheduled run (no file) picks them up; then a run with nothing new."""
    from urllib.parse import urlparse, urlunparse

    from gladiator.oltp import churn, seed
    from tests.oltp_helpers import scratch_database

    out = work / f"inc{scale}"
    subprocess.run(
        [sys.executable, "-m", "gladiator_cli", "generate", "--scale", str(scale), "--out", str(out),
         "--seed", "42", "--faults", "0.01", "--format", "csv", "--files-per-entity", "4"],
        check=True, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    faults = json.loads((out / "faults.json").read_text())["faults"]
    rejected = {f["file"] for f in faults if f["expected"] == "file_quarantined"}
    lake = IsolatedLake.create(settings)
    for path in sorted((out / "landing").rglob("*.csv")):
        key = str(path.relative_to(out / "landing"))
        if key not in rejected:
            lake.drop(key, path.read_bytes())
    argv = lake.job_args("x")
    common = {k: v for k, v in zip(argv[1::2], argv[2::2], strict=True) if k != "--batch_id"}
    figures: dict = {"scale": scale}
    with scratch_database(settings.mysql_url, "bench_inc") as database:
        seed(settings.mysql_url, out / "truth", database=database)
        url = urlparse(settings.mysql_url)
        scratch_url = urlunparse(url._replace(path=f"/{database}"))
        previous = os.environ.get(constants.MYSQL_URL)
        os.environ[constants.MYSQL_URL] = scratch_url  # the job driver inherits it
        try:
            orders = int(
                json.loads((out / "faults.json").read_text())["scale"] * 1_500_000
            )  # TPC-H: 1.5M x SF
            for label, claim_kwargs, before in (
                ("first", {}, None),
                ("after_1pct_churn", {"allow_empty": True}, lambda: churn(
                    scratch_url, orders=orders // 200, updates=orders // 200, seed=3)),
                ("nothing_new", {"allow_empty": True}, None),
            ):  # fmt: skip
                if before:
                    report = before()
                    figures["churned_rows"] = len(report.changes)
                batch = lake.batches.claim(10_000, **claim_kwargs)
                assert batch is not None
                started = time.monotonic()
                result = runner.run_pipeline(
                    batch.batch_id, settings=settings, common=common, jobs=INCREMENTAL_JOBS
                )
                figures[f"{label}_s"] = round(time.monotonic() - started, 1)
                figures[f"{label}_jobs_s"] = {
                    j.name: j.seconds for j in result.jobs if j.state == "SUCCEEDED"
                }
                gold_job = next((j for j in result.jobs if j.name == "silver_to_gold"), None)
                if gold_job and gold_job.log_file and label != "nothing_new":
                    figures[f"{label}_gold_tables_s"] = gold_table_seconds(Path(gold_job.log_file))
        finally:
            if previous is None:
                os.environ.pop(constants.MYSQL_URL, None)
            else:
                os.environ[constants.MYSQL_URL] = previous
    figures["ratio_incremental_over_first"] = round(figures["after_1pct_churn_s"] / figures["first_s"], 3)
    figures["goal_incremental_le_0.15"] = figures["ratio_incremental_over_first"] <= 0.15
    figures["goal_nothing_new_le_15s"] = figures["nothing_new_s"] <= 15
    lake.delete_objects()
    return figures


def extras(settings, lake: IsolatedLake) -> dict:
    """Codec table and lineitem partitioning, on the silver lineitem."""
    from pyspark.sql import functions as F

    from gladiator.spark import get_spark

    spark = get_spark("bench_batch", settings=settings)
    lineitem = spark.read.format("delta").load(lake.uri("silver", "lineitem")).drop("_ship_year")
    lineitem = lineitem.cache()
    lineitem.count()
    codecs = {}
    for codec in ("zstd", "snappy", "gzip"):
        spark.conf.set("spark.sql.parquet.compression.codec", codec)
        path = f"s3a://{lake.lake_bucket}/bench/codec_{codec}"
        started = time.monotonic()
        lineitem.write.format("delta").mode("overwrite").save(path)
        codecs[codec] = {
            "write_s": round(time.monotonic() - started, 1),
            "mb": round(bucket_bytes(lake, f"bench/codec_{codec}/") / 2**20, 1),
        }
    spark.conf.set("spark.sql.parquet.compression.codec", "zstd")
    orders = spark.read.format("delta").load(lake.uri("silver", "orders")).select("o_orderkey", "o_orderdate")
    layouts = {
        "ship_month": lineitem.withColumn("_y", F.year("l_shipdate")).withColumn("_m", F.month("l_shipdate")),
        "order_month": lineitem.join(orders, lineitem.l_orderkey == orders.o_orderkey)
        .drop("o_orderkey")
        .withColumn("_y", F.year("o_orderdate"))
        .withColumn("_m", F.month("o_orderdate")),
    }
    partitioning = {}
    for name, frame in layouts.items():
        path = f"s3a://{lake.lake_bucket}/bench/part_{name}"
        started = time.monotonic()
        frame.write.format("delta").mode("overwrite").partitionBy("_y", "_m").save(path)
        write_s = time.monotonic() - started
        table = spark.read.format("delta").load(path)
        started = time.monotonic()
        table.where((F.col("_y") == 1995) & (F.col("_m") == 6)).agg(F.sum("l_extendedprice")).collect()
        query_s = time.monotonic() - started
        files = len(table.inputFiles())
        partitioning[name] = {
            "write_s": round(write_s, 1),
            "files": files,
            "one_month_query_s": round(query_s, 2),
        }
    return {"codecs_lineitem": codecs, "lineitem_partitioning": partitioning}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].rstrip(".")
        + ". Needs `gladiator local up`; prints one JSON line "
        "per scale, then the whole report."
    )
    parser.add_argument(
        "--scales",
        default="0.1,1",
        help="comma-separated TPC-H scale factors, run in order (default 0.1,1). On 2 cores SF 1 "
        "takes ~10 min and SF 3 ~25 min; SF 3 writes ~15 GB to local disk (landing files, the "
        "emulator's objects); an empty list runs only the incremental scenario",
    )
    parser.add_argument(
        "--no-extras", action="store_true", help="skip the codec table and the lineitem layout comparison"
    )
    parser.add_argument("--no-gold", action="store_true", help="Stop at silver.")
    parser.add_argument(
        "--threads",
        default="",
        help="comma-separated job thread counts ($GLADIATOR_JOB_THREADS) to run the pipeline with "
        "too, per scale, before the default one: their seconds and ratio to the default are printed "
        "(e.g. --threads 1 compares one-at-a-time with the default)",
    )
    parser.add_argument(
        "--incremental-scale",
        type=float,
        default=0.01,
        help="scale of the incremental scenario (goal 3: first batch, 1 %% churn, nothing new); 0 skips it",
    )
    args = parser.parse_args()
    threads = [int(n) for n in args.threads.split(",")] if args.threads else []
    use_local_credentials()
    settings = load_settings("local")
    report: dict = {"load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        lake = None
        for scale in [float(s) for s in args.scales.split(",") if s.strip()]:
            if lake is not None:
                lake.delete_objects()  # the emulator need not keep the last scale's objects
            lake, figures = run_scale(settings, scale, Path(tmp), gold=not args.no_gold, threads=threads)
            report[f"sf{scale}"] = figures
            print(json.dumps(figures), flush=True)
        scales = [k for k in report if k.startswith("sf")]
        # How cost grows with the data: time ratio between consecutive scales, pipeline and bare.
        report["growth"] = [
            {
                "from": a,
                "to": b,
                "data_x": round(report[b]["landing_mb"] / report[a]["landing_mb"], 2),
                "pipeline_x": round(report[b]["pipeline_s"] / report[a]["pipeline_s"], 2),
                "bare_x": round(report[b]["bare_s"] / report[a]["bare_s"], 2),
            }
            for a, b in itertools.pairwise(scales)
        ]
        if lake is not None and not args.no_extras:
            report["extras"] = extras(settings, lake)
        if args.incremental_scale:
            report["incremental"] = incremental(settings, args.incremental_scale, Path(tmp))
            print(json.dumps(report["incremental"]), flush=True)
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
