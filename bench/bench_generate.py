"""Benchmark: `gladiator generate` vs `tpchgen-cli` alone at the same scale, side by side.

    .venv/bin/python bench/bench_generate.py [--scale 1] [--format csv] [--faults 0.01] [--repeat 1]

Prints both wall times and their ratio (aim: generate <= 2x tpchgen-cli at SF1), alternating the
two runs so machine load hits both alike. Not a test.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from gladiator.generate import generate
from gladiator.generate.tpch import format_scale, tpchgen_binary


def time_tpchgen(scale: float, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [tpchgen_binary(), "parquet", "-s", format_scale(scale), "-o", str(out)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def time_generate(scale: float, out: Path, fmt: str, faults: float) -> tuple[float, dict[str, float]]:
    stages: dict[str, float] = {}
    started = time.perf_counter()
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
    return total, stages


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
            tpch = time_tpchgen(args.scale, root / "tpch")
            shutil.rmtree(root / "tpch")
            total, stages = time_generate(args.scale, root / "gen", args.format, args.faults)
            size = sum(p.stat().st_size for p in (root / "gen").rglob("*") if p.is_file())
            shutil.rmtree(root / "gen")
            print(f"round {round_}: scale {args.scale:g}, format {args.format}, faults {args.faults}")
            print(f"  tpchgen-cli alone      {tpch:7.1f} s")
            print(f"  gladiator generate     {total:7.1f} s   ({size / 1e6:,.0f} MB written)")
            print(f"  ratio generate/tpchgen {total / tpch:7.2f}x   (aim <= 2x)")
            for stage, seconds in stages.items():
                if seconds >= 0.05:
                    print(f"    {stage:30} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
