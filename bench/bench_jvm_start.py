"""Spark JVM start with and without the class-data-sharing archive, side by side (not a test).

    .venv/bin/python bench/bench_jvm_start.py [--runs 3]

Each run is a fresh Python process that starts a local Spark session (``gladiator.spark.get_spark``),
runs one Spark job, writes and MERGEs a small Delta table on local disk, and stops: what every
job, test session and stream pays before its first row. Runs alternate between the archive
(``make setup`` writes it: ``local_emulation/class_archive.py``) and none, so load drifts hit both
alike; the medians and their ratio are printed. Needs no running service.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from gladiator import constants, jvm  # noqa: E402

CHILD = """
import json, sys, time
t0 = time.monotonic()
from gladiator.spark import get_spark
spark = get_spark("jvm-start")
t1 = time.monotonic()
spark.range(10).count()
t2 = time.monotonic()
df = spark.range(1000).selectExpr("id", "cast(id as string) s")
df.write.format("delta").save(sys.argv[1])
from delta.tables import DeltaTable
DeltaTable.forPath(spark, sys.argv[1]).alias("t").merge(df.alias("s"), "t.id = s.id") \\
    .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
t3 = time.monotonic()
print(json.dumps({"session_s": t1 - t0, "first_job_s": t2 - t1, "delta_s": t3 - t2, "total_s": t3 - t0}))
"""


def run_once(sharing: bool, work: Path, name: str) -> dict[str, float]:
    env = dict(os.environ)
    if not sharing:
        env[constants.CLASS_ARCHIVE] = "off"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(work / name)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind, alternating (default 3)")
    args = parser.parse_args()
    if not jvm.class_archive().is_file():
        sys.exit("no class archive: run `make setup` (or .venv/bin/python -m local_emulation.class_archive)")
    figures: dict[str, list[dict[str, float]]] = {"archive": [], "none": []}
    with tempfile.TemporaryDirectory(prefix="bench-jvm-") as tmp:
        for n in range(args.runs):
            for kind in ("archive", "none"):
                result = run_once(kind == "archive", Path(tmp), f"{kind}{n}")
                figures[kind].append(result)
                print(
                    f"run {n + 1} {kind}: " + ", ".join(f"{k} {v:.1f}" for k, v in result.items()), flush=True
                )
    medians = {
        kind: {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
        for kind, runs in figures.items()
    }
    report = {
        "runs": args.runs,
        "median_with_archive": medians["archive"],
        "median_without": medians["none"],
        "ratio_total_with_over_without": round(medians["archive"]["total_s"] / medians["none"]["total_s"], 2),
        "ratio_start_with_over_without": round(
            (medians["archive"]["session_s"] + medians["archive"]["first_job_s"])
            / (medians["none"]["session_s"] + medians["none"]["first_job_s"]),
            2,
        ),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
