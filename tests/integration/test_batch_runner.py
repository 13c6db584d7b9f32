"""The local runner runs the real job scripts with spark-submit; kill -9 at several points of a
run and the retried jobs still give exactly the clean result (no row twice, nothing lost).

Crash points (gladiator.jobs.context.crash_point; each fires once, then the runner retries):
- landing_to_bronze, after region's bronze commit and before nation's ("during the write");
- landing_to_bronze, after every bronze commit and before the ledger update;
- bronze_to_silver, after nation's quarantine commit and before its silver MERGE.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gladiator.ingestion.model import LedgerState
from gladiator.jobs.context import CRASH_AT_ENV, CRASH_MARKERS_ENV
from gladiator.runs import RunStore
from local_emulation import runner
from tests.batch_helpers import IsolatedLake
from tests.spark_helpers import assert_same_rows

ENTITIES = ("region", "nation", "supplier")
CRASH_POINTS = ("before_bronze_commit:nation", "before_ledger_update", "before_silver_merge:nation")


@pytest.mark.slow
def test_kill_9_at_several_points_then_retry_gives_the_clean_result(spark, local_stack, tmp_path: Path):
    from pyspark.sql import functions as F

    from gladiator.generate import generate

    out = tmp_path / "data"
    generate(out, scale=0.01, seed=11, faults=0.05, fmt="mixed", files_per_entity=2)
    faults = [f for f in json.loads((out / "faults.json").read_text())["faults"] if f["entity"] in ENTITIES]
    rejected_files = {f["file"] for f in faults if f["expected"] == "file_quarantined"}
    lake = IsolatedLake.create(local_stack)
    for entity in ENTITIES:
        for path in sorted((out / "landing" / entity).iterdir()):
            key = f"{entity}/{path.name}"
            if key not in rejected_files:
                lake.drop(key, path.read_bytes())
    batch = lake.claim()
    argv = lake.job_args(batch.batch_id)
    common = {k: v for k, v in zip(argv[1::2], argv[2::2], strict=True) if k != "--batch_id"}
    markers = tmp_path / "crashed"
    store = RunStore(lake.job_state_table, lake.client("dynamodb"))

    result = runner.run_pipeline(
        batch.batch_id,
        batch_seq=batch.batch_seq,
        settings=local_stack,
        common=common,
        jobs=["landing_to_bronze", "bronze_to_silver"],
        extra_env={CRASH_AT_ENV: ",".join(CRASH_POINTS), CRASH_MARKERS_ENV: str(markers)},
        max_retries=3,
        runs=store,
    )

    # every crash happened, and each one cost its job one attempt
    assert sorted(p.name for p in markers.iterdir()) == sorted(p.replace(":", "_") for p in CRASH_POINTS)
    attempts = {j.name: j.attempts for j in result.jobs if j.state == "SUCCEEDED"}
    assert attempts == {"landing_to_bronze": 3, "bronze_to_silver": 2}
    run = store.get_run(batch.batch_id)
    assert run is not None and run["state"] == "SUCCEEDED"
    assert run["jobs"]["silver_to_gold"]["state"] == "SKIPPED"

    # the result is the clean one: silver = truth, quarantine = injected rows, bronze rows once
    for entity in ENTITIES:
        contract_cols = spark.read.parquet(f"file://{out}/truth/{entity}").columns
        silver = spark.read.format("delta").load(lake.uri("silver", entity)).select(*contract_cols)
        assert_same_rows(silver, spark.read.parquet(f"file://{out}/truth/{entity}"))
        bronze = spark.read.format("delta").load(lake.uri("bronze", entity))
        assert bronze.groupBy("_source_file", "_source_line").count().where(F.col("count") > 1).count() == 0
    quarantined = [(f["file"], f["line"], f["reason"]) for f in faults if f["expected"] == "quarantined"]
    assert_same_rows(
        lake.quarantine_keys(spark, ENTITIES),
        spark.createDataFrame(quarantined, "file string, line int, reason string"),
    )
    assert all(f.state == LedgerState.LOADED for f in lake.batches.files_in_batch(batch.batch_id))
    assert all(r.balanced for r in store.reconciliation(batch.batch_id))

    # and `gladiator pipeline status --json` shows the run, its reconciliation and the tables
    status = status_json(lake)
    shown = next(r for r in status["runs"] if r["batch_id"] == batch.batch_id)
    assert shown["state"] == "SUCCEEDED" and shown["batch_state"] == "LOADED"
    assert sorted(r["entity"] for r in shown["reconciliation"]) == sorted(ENTITIES)
    assert all(r["balanced"] for r in shown["reconciliation"])
    assert {f"silver/{e}" for e in ENTITIES} <= set(status["tables"])


def test_job_arguments_are_the_glue_arguments(local_stack: Any):
    from gladiator import pipeline

    common = runner.common_argument_values(local_stack)
    argv = runner.job_arguments(pipeline.BRONZE_TO_SILVER, common, "00000007-x")
    names = argv[0::2]
    assert names == [*pipeline.COMMON_ARGUMENTS, "--batch_id"]
    assert argv[-1] == "00000007-x"
    command = runner.spark_submit_command(pipeline.BRONZE_TO_SILVER, argv, local_stack)
    assert command[0].endswith("spark-submit")
    assert str(pipeline.BRONZE_TO_SILVER.script) in command


def status_json(lake: IsolatedLake) -> dict[str, Any]:
    """`gladiator pipeline status --json` pointed at the isolated lake through the environment."""
    from click.testing import CliRunner

    from gladiator import constants
    from gladiator_cli import cli

    env = {
        constants.JOB_STATE_TABLE: lake.job_state_table,
        constants.LEDGER_TABLE: lake.ledger_table,
        constants.LAKE_BUCKET: lake.lake_bucket,
    }
    result = CliRunner().invoke(cli, ["pipeline", "status", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
