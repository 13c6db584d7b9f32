"""CDK benchmark: synth time and emulator deploy time, measured in one run (not a test).

    .venv/bin/python bench/bench_cdk.py [--skip-deploy]

Measures:
- in-process synth of the whole app (what the test session fixture pays once);
- ``cdk synth`` through the CLI, offline (``unshare -n`` when available), target <= 30 s;
- ``cdk bootstrap`` and ``cdk deploy --all`` (profile ``local``) to a private moto_server,
  target deploy <= 3 min, followed by the per-resource API check table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

SYNTH_TARGET_S = 30.0
DEPLOY_TARGET_S = 180.0


def in_process_synth(outdir: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", f"from infra.app import build_app; build_app(outdir={str(outdir)!r}).synth()"],
        cwd=REPO_ROOT, check=True, capture_output=True,
    )  # fmt: skip
    return time.monotonic() - started


def cli_synth(outdir: Path) -> tuple[float, bool]:
    offline = (
        shutil.which("unshare") is not None and subprocess.run(["unshare", "-n", "true"]).returncode == 0
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    command = [str(REPO_ROOT / "node_modules" / ".bin" / "cdk"), "synth", "-q", "-o", str(outdir)]
    started = time.monotonic()
    subprocess.run((["unshare", "-n"] if offline else []) + command, cwd=REPO_ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    return time.monotonic() - started, offline


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-deploy", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        inproc = in_process_synth(root / "inproc")
        cli, offline = cli_synth(root / "cli")
        print(f"machine load (1 min): {load:.1f} on {os.cpu_count()} cores")
        print(f"in-process synth (python, 7 stacks, cdk-nag): {inproc:6.1f} s")
        print(f"cdk synth CLI{' (unshare -n)' if offline else ''}:             {cli:6.1f} s"
              f"   target {SYNTH_TARGET_S:.0f} s -> {cli / SYNTH_TARGET_S:.2f}x of budget")  # fmt: skip
        if args.skip_deploy:
            return
        from tests.infra.emulator import deploy, free_port, moto_server, summary_table, verify

        port = free_port(5100)
        with moto_server(port) as endpoint:
            result = deploy(port, cdk_home=root / "cdk-home", outdir=root / "deploy.out")
            started = time.monotonic()
            checks = verify(endpoint, root / "deploy.out")
            verify_s = time.monotonic() - started
        print(f"cdk bootstrap (moto :{port}):                {result.bootstrap_s:6.1f} s")
        print(f"cdk deploy --all (moto, profile local):     {result.deploy_s:6.1f} s"
              f"   target {DEPLOY_TARGET_S:.0f} s -> {result.deploy_s / DEPLOY_TARGET_S:.2f}x of budget")  # fmt: skip
        print(f"API verification of {len(checks)} resources:          {verify_s:6.1f} s")
        print(summary_table(checks))


if __name__ == "__main__":
    main()
