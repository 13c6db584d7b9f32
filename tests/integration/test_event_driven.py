"""Event-driven, end to end, on an ISOLATED stack (own GLADIATOR_HOME and port offset):
`gladiator local up`, then generated SF 0.01 landing files put into the landing bucket with plain
boto3 and NO other command. Within the trigger's maximum wait plus the pipeline's own time,
`gladiator pipeline status --json` shows SUCCEEDED batches holding those files, silver equals the
truth, and the warehouse is loaded. A `gladiator pipeline run --scheduled` on that stack then
and a `gladiator stream run --available-now` run on the ingestion service's driver
(local_emulation.executions), not in the command.

The OLTP source is seeded first (`gladiator mysql seed`, from the same generated data), since the
pipeline also extracts it; its rows are the truth too, so silver = truth still holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from gladiator.ingestion.trigger import ENV_MAX_WAIT_S

GLADIATOR = Path(sys.executable).parent / "gladiator"
OFFSET = 400


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLADIATOR_")}
    return env | {"GLADIATOR_HOME": str(home), "GLADIATOR_PORT_OFFSET": str(OFFSET), ENV_MAX_WAIT_S: "5"}


def cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GLADIATOR), *args], env=env, capture_output=True, text=True, timeout=timeout)


def python(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=1200
    )


@pytest.fixture
def isolated_stack(tmp_path: Path) -> Any:
    env = environment(tmp_path / "home")
    up = cli(env, "local", "up")
    assert up.returncode == 0, up.stderr
    try:
        yield env
    finally:
        cli(env, "local", "down")


@pytest.mark.slow
def test_files_put_with_boto3_flow_to_silver_and_the_warehouse(
    isolated_stack: dict[str, str], tmp_path: Path
) -> None:
    env = isolated_stack
    status = json.loads(cli(env, "local", "status", "--json").stdout)
    assert status["services"]["ingestion"] is True
    data = tmp_path / "data"
    gen = cli(env, "generate", "--scale", "0.01", "--out", str(data), "--seed", "5", "--format", "mixed",
              "--files-per-entity", "2")  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    seed = cli(env, "mysql", "seed", "--from", str(data))
    assert seed.returncode == 0, seed.stderr
    faults = json.loads((data / "faults.json").read_text())["faults"]
    rejected = {f["file"] for f in faults if f["expected"] == "file_quarantined"}
    files = sorted(str(p.relative_to(data / "landing")) for p in (data / "landing").rglob("*") if p.is_file())

    put = python(
        env,
        f"""
        import boto3
        from pathlib import Path
        from gladiator.config import load_settings, use_local_credentials
        use_local_credentials()
        s = load_settings()
        s3 = boto3.client("s3", region_name=s.region, endpoint_url=s.aws_endpoint)
        for key in {files!r}:
            s3.put_object(Bucket=s.landing_bucket, Key=key, Body=Path({str(data / "landing")!r}, key).read_bytes())
        """,
    )
    assert put.returncode == 0, put.stderr

    deadline = time.monotonic() + 2400
    report: dict[str, Any] = {}
    while time.monotonic() < deadline:
        time.sleep(15)
        report = json.loads(cli(env, "pipeline", "status", "--json").stdout or "{}")
        runs = report.get("runs", [])
        assert not [r for r in runs if r.get("state") == "FAILED"], runs
        loaded = sum(r.get("files") or 0 for r in runs if r.get("state") == "SUCCEEDED")
        if runs and all(r.get("state") == "SUCCEEDED" for r in runs) and loaded == len(files) - len(rejected):
            break
    else:
        pytest.fail(f"not every file was loaded in time: {report}")

    # A command's run goes to the running service (its warm driver), as to Step Functions on AWS.
    scheduled = cli(env, "pipeline", "run", "--scheduled")
    assert scheduled.returncode == 0, scheduled.stderr[-3000:]
    assert "running on the local ingestion service" in scheduled.stderr, scheduled.stderr[-3000:]
    assert ": SUCCEEDED" in scheduled.stderr
    runs = json.loads(cli(env, "pipeline", "status", "--json").stdout)["runs"]
    assert len(runs) == len(report["runs"]) + 1 and all(r["state"] == "SUCCEEDED" for r in runs), runs
    check = python(
        env,
        """
        from gladiator.config import load_settings, use_local_credentials
        from gladiator.contracts import CONTRACTS
        from gladiator.spark import get_spark
        use_local_credentials()
        s = load_settings()
        spark = get_spark("event-driven-check", settings=s)
        bad = []
        for name in CONTRACTS:
            truth = spark.read.parquet(f"file://DATA/truth/{name}")
            silver = spark.read.format("delta").load(s.lake_uri("silver", name, scheme="s3a")).select(*truth.columns)
            if silver.count() != truth.count() or silver.exceptAll(truth).count() or truth.exceptAll(silver).count():
                bad.append(name)
        import psycopg
        with psycopg.connect(s.warehouse_url) as conn:
            loaded = conn.execute("select count(*) from gold._load_ledger").fetchone()[0]
        print("BAD", bad, "LOADED", loaded)
        assert not bad and loaded > 0
        """.replace("DATA", str(data)),
    )
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-4000:]
    # So does a catch-up stream run: the streaming job's script on the service's driver (after the
    # check: the stream adds orders to silver).
    produced = cli(
        env, "stream", "produce", "--rate", "200", "--duration", "2", "--scale", "0.01", "--faults", "0"
    )
    assert produced.returncode == 0, produced.stderr[-3000:]
    sent = json.loads(produced.stdout)["sent"]
    streamed = cli(env, "stream", "run", "--available-now")
    assert streamed.returncode == 0, streamed.stderr[-3000:]
    assert "running on the local ingestion service" in streamed.stderr, streamed.stderr[-3000:]
    assert json.loads(streamed.stdout)["records"] == sent > 0
