"""Benchmark: `gladiator generate` vs `tpchgen-cli` alone at the same scale, side by side.

    .venv/bin/python bench/bench_generate.py [--scale 1] [--format csv] [--faults 0.01] [--repeat 1]

Prints both wall and CPU times and their ratios (aim: generate <= 2x tpchgen-cli at SF1). On a
shared machine the wall ratio follows the load (tpchgen-cli is multi-threaded, so it loses more
to other processes); the CPU ratio is the steadier figure. Not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from gladiator.generate import generate
from gladiator.generate.tpch import format_scale, tpchgen_binary


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_tpchgen(scale: float, out: Path) -> tuple[float, float]:
    started, cpu = time.perf_counter(), cpu_seconds()
    command = [tpchgen_binary(), "parquet", "-s", format_scale(scale), "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started, cpu_seconds() - cpu


def time_generate(scale: float, out: Path, fmt: str, faults: float) -> tuple[float, float, dict[str, float]]:
    stages: dict[str, float] = {}
    started, cpu = time.perf_counter(), cpu_seconds()
    last = [started, "start"]

    def progress(message: str) -> None:
        now = time.perf_counter()
        stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
        last[:] = [
            now,
            message.split(":")[0]
            + (":" + message.split(":")[1].split("(")[0] if "landing" in message else ""),
        ]

    generate(out, scale=scale, seed=1, faults=faults, fmt=fmt, progress=progress)
    total = time.perf_counter() - started
    stages[last[1]] = stages.get(last[1], 0.0) + time.perf_counter() - last[0]
    return total, cpu_seconds() - cpu, stages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--format", default="csv")
    parser.add_argument("--faults", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as scratch:
        root = Path(scratch)
        for round_ in range(1, args.repeat + 1):
            load = os.getloadavg()[0]
            tpch, tpch_cpu = time_tpchgen(args.scale, root / "tpch")
            shutil.rmtree(root / "tpch")
            total, total_cpu, stages = time_generate(args.scale, root / "gen", args.format, args.faults)
            size = sum(p.stat().st_size for p in (root / "gen").rglob("*") if p.is_file())
            shutil.rmtree(root / "gen")
            print(f"round {round_}: scale {args.scale:g}, format {args.format}, faults {args.faults}")
            print(f"  load average before    {load:7.1f} (on {os.cpu_count()} cores)")
            print(f"  tpchgen-cli alone      {tpch:7.1f} s wall {tpch_cpu:7.1f} s CPU")
            print(
                f"  gladiator generate     {total:7.1f} s wall {total_cpu:7.1f} s CPU  ({size / 1e6:,.0f} MB written)"
            )
            print(
                f"  ratio generate/tpchgen {total / tpch:7.2f}x wall {total_cpu / tpch_cpu:5.2f}x CPU  (aim <= 2x)"
            )
            for stage, seconds in stages.items():
                if seconds >= 0.05:
                    print(f"    {stage:30} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
