"""Parity: run what CDK deploys. The inputs come from the synthesized template, not from the
Python definition: the state machine's ASL document, the Scheduler target's input, each Glue job's
DefaultArguments and MaxRetries. The local runner interprets that document on the local stack
(the claim Lambda task included: no batch is claimed beforehand) and silver must equal the truth.

Only the environment's values are mapped (bucket and table names, profile ``aws`` -> ``local``);
the test asserts that they are exactly the COMMON_ARGUMENTS. landing_to_bronze and
bronze_to_silver run (the jobs that make silver); the later jobs are recorded SKIPPED, for time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from gladiator import pipeline
from gladiator.ingestion.claim import BatchStepDeps
from gladiator.ingestion.model import BatchState, LedgerState
from gladiator.runs import RunStore
from local_emulation import runner
from tests.batch_helpers import IsolatedLake
from tests.spark_helpers import assert_same_rows

ENTITIES = ("region", "nation", "supplier")
RUN = {"landing_to_bronze", "bronze_to_silver"}


def resolve(value: Any) -> Any:
    """CloudFormation intrinsics in a definition string -> plain text (``<LogicalId>`` for refs)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(resolve(p) for p in parts)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][0]}>"
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    raise AssertionError(f"unexpected intrinsic {value}")


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    """(the Processing stack's template, the app's InfraConfig)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.app import build_app
    from infra.config import InfraConfig

    out = tmp_path_factory.mktemp("cdk")
    app = build_app(outdir=str(out))
    app.synth()
    return dict(json.loads((out / "Processing.template.json").read_text())), InfraConfig.from_context(app)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.mark.slow
def test_the_synthesized_state_machine_runs_locally_and_silver_is_the_truth(
    synthesized: tuple[dict[str, Any], Any], spark: Any, local_stack: Any, tmp_path: Path
) -> None:
    from gladiator.generate import generate

    template, config = synthesized
    [machine] = of_type(template, "AWS::StepFunctions::StateMachine").values()
    definition = json.loads(resolve(machine["DefinitionString"]))
    [schedule] = of_type(template, "AWS::Scheduler::Schedule").values()
    scheduled_input = json.loads(
        schedule["Target"]["Input"].replace("<aws.scheduler.scheduled-time>", "2026-12-02T05:00:00Z")
    )
    claim_function = definition["States"][pipeline.CLAIM_STATE]["Parameters"]["FunctionName"]

    # the data: dropped and VALIDATED (what the landing Lambda does), NOT claimed
    out = tmp_path / "data"
    generate(out, scale=0.01, seed=11, faults=0.05, fmt="mixed", files_per_entity=2)
    faults = [f for f in json.loads((out / "faults.json").read_text())["faults"] if f["entity"] in ENTITIES]
    rejected = {f["file"] for f in faults if f["expected"] == "file_quarantined"}
    lake = IsolatedLake.create(local_stack)
    dropped = [
        lake.drop(f"{e}/{p.name}", p.read_bytes())
        for e in ENTITIES
        for p in sorted((out / "landing" / e).iterdir())
        if f"{e}/{p.name}" not in rejected
    ]

    # the Glue jobs as deployed, with this environment's names
    local_values = {
        "--profile": "local",
        "--lake_bucket": lake.lake_bucket,
        "--landing_bucket": lake.landing_bucket,
        "--glue_database": lake.glue_database,
        "--ledger_table": lake.ledger_table,
        "--job_state_table": lake.job_state_table,
    }
    specs = {config.job_name(j.name): j for s in pipeline.PIPELINE for j in s.jobs}
    jobs = {}
    for props in of_type(template, "AWS::Glue::Job").values():
        if props["Name"] not in specs:
            continue  # the scheduled maintenance job is not in the state machine
        arguments = dict(props["DefaultArguments"])
        changed = {k for k in local_values if arguments.get(k) != local_values[k]}
        assert changed == set(pipeline.COMMON_ARGUMENTS), changed  # only environment values differ
        arguments |= local_values
        jobs[props["Name"]] = runner.LocalJob(
            specs[props["Name"]], arguments, int(props.get("MaxRetries", 0))
        )
    assert set(jobs) == set(specs)

    runs = RunStore(lake.job_state_table, lake.client("dynamodb"))
    glue = runner.LocalGlue(jobs, local_stack, runs, selected=RUN)
    function = runner.LocalBatchFunction(
        BatchStepDeps(batches=lake.batches), runs, [j.name for j in specs.values()]
    )
    execution, result = runner.execute(
        definition,
        scheduled_input,
        name="parity-execution",
        glue=glue,
        batch_function=function,
        function_names=[claim_function],
    )

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    stages = [f"stage: {s.name}" for s in pipeline.PIPELINE]
    top_level = [name for name in execution.path if name in definition["States"]]  # not branch tasks
    assert top_level == [
        pipeline.BACKFILL_CHOICE,  # no backfill in the input: a batch
        pipeline.CLAIM_STATE,
        pipeline.EMPTY_CHOICE,
        *stages,
        pipeline.FINISH_STATE,
        "pipeline done",
    ]
    assert [j.name for j in result.jobs if j.state == "SUCCEEDED"] == [
        "landing_to_bronze",
        "bronze_to_silver",
    ]
    batch = lake.batches.get(scheduled_input["batch_id"])
    assert (
        batch is not None and batch.state == BatchState.LOADED and sorted(batch.file_ids) == sorted(dropped)
    )
    assert all(e.state == LedgerState.LOADED for e in lake.batches.files_in_batch(batch.batch_id))
    for entity in ENTITIES:
        truth = spark.read.parquet(f"file://{out}/truth/{entity}")
        silver = spark.read.format("delta").load(lake.uri("silver", entity)).select(*truth.columns)
        assert_same_rows(silver, truth)
    run = runs.get_run(batch.batch_id)
    assert run is not None and run["state"] == "SUCCEEDED"
