"""`gladiator replay --quarantined` after a contract fix: silver = truth, exactly once.

The scenario (SF 0.01, four entities: region, nation, supplier, customer; generated with faults):
1. the landing files go through the real landing handler (``handle_object_event``); one good
   supplier file meets a deliberately small file-size limit and is quarantined
   (``file_too_large``); the generator's bad files are quarantined for their own reasons;
2. batch 1 runs the Glue entry scripts with a deliberately too-strict customer contract (an extra
   rule ``c_acctbal >= 0`` that rejects valid truth rows): they are quarantined;
3. the contract and the limit are fixed (the real ones), and `gladiator replay --quarantined`
   runs (the CLI: spark-submit of the Glue script). It is killed (like ``kill -9``) after its
   customer MERGE and before the quarantine rewrite; the next `gladiator replay --quarantined`
   resumes it. The strict rule's rows reach silver once, the injected faults stay quarantined
   with their *current* reasons (a fault first caught by the strict rule now carries its real
   reason), the supplier file is VALIDATED again and batch 2 loads it through the normal path;
4. silver = truth both ways, the quarantine = the injected faults exactly, the reconciliation
   balances with each replayed row counted once, and a second replay (the Glue entry script
   in-process) changes nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from gladiator import constants
from gladiator.contracts import CONTRACTS, Rule
from gladiator.ingestion.model import Batch, LedgerState
from gladiator.ingestion.object_events import ObjectEvent
from gladiator.ingestion.process import IngestionDeps, handle_object_event
from gladiator.ingestion.validation import ValidationLimits
from gladiator.lineage import graph
from gladiator.quality import QualityStore
from gladiator.replay.store import batch_reconciliation
from gladiator.runs import RunStore
from gladiator.transforms import silver
from gladiator_cli import cli
from glue_jobs import bronze_to_silver as bronze_to_silver_job
from glue_jobs import landing_to_bronze as landing_to_bronze_job
from glue_jobs import replay_quarantined as replay_job
from tests.batch_helpers import IsolatedLake
from tests.integration.test_batch_lakehouse import expected_rule
from tests.spark_helpers import assert_same_rows

# Two batches, the replay killed and resumed (two spark-submits) and one more replay: ~8 min on a
# loaded 2-core machine, so slow, with room above the 900 s default timeout (the setup counts).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ENTITIES = ("region", "nation", "supplier", "customer")
STRICT_RULE = Rule(name="c_acctbal_not_negative", predicate="c_acctbal >= 0", columns=("c_acctbal",))
TOO_LARGE = "supplier/supplier-00000.jsonl"  # a valid file, rejected by a too-small size limit


@dataclass
class Scenario:
    lake: IsolatedLake
    out: Path
    faults: list[dict[str, Any]]
    batches: list[Batch]
    report: dict[str, Any]  # the first replay's report (of the resumed run)
    before: dict[str, Any]  # observations before the replay and after its crash
    crashed: Result  # the first `gladiator replay`, killed half-way


def land(lake: IsolatedLake, quarantine_bucket: str, key: str, body: bytes, limits: ValidationLimits) -> str:
    """Put a landing file and run the landing Lambda's logic on its event; returns the state."""
    s3 = lake.client("s3")
    response = s3.put_object(Bucket=lake.landing_bucket, Key=key, Body=body)
    event = ObjectEvent(
        bucket=lake.landing_bucket,
        key=key,
        size=len(body),
        etag=response["ETag"].strip('"'),
        version_id=response.get("VersionId"),
        sequencer=None,
    )
    deps = IngestionDeps(s3=s3, ledger=lake.ledger, quarantine_bucket=quarantine_bucket, limits=limits)
    return handle_object_event(event, deps).state


def run_batch(lake: IsolatedLake) -> Batch:
    batch = lake.claim()
    landing_to_bronze_job.main(lake.job_args(batch.batch_id))
    bronze_to_silver_job.main(lake.job_args(batch.batch_id))
    return batch


def replay(lake: IsolatedLake, *extra: str) -> dict[str, Any]:
    """The replay Glue entry script; its JSON report line."""
    argv = [a for a in lake.job_args("-")]
    argv = argv[: argv.index("--batch_id")] + list(extra)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        replay_job.main(argv)
    return dict(json.loads(out.getvalue().strip().splitlines()[-1]))


def cli_replay(lake: IsolatedLake, out: Path, quarantine_bucket: str, *, crash_at: str = "") -> Result:
    """`gladiator replay --quarantined --json` against this test's lake and tables."""
    env = {
        constants.LANDING_BUCKET: lake.landing_bucket,
        constants.LAKE_BUCKET: lake.lake_bucket,
        constants.QUARANTINE_BUCKET: quarantine_bucket,
        constants.LEDGER_TABLE: lake.ledger_table,
        constants.JOB_STATE_TABLE: lake.job_state_table,
        constants.GLUE_DATABASE: lake.glue_database,
        constants.LINEAGE_FILE: str(out / "lineage.jsonl"),
        constants.CRASH_AT: crash_at,
        constants.CRASH_MARKERS: str(out / "crash-markers"),
    }
    return CliRunner().invoke(cli, ["replay", "--quarantined", "--json"], env=env)


def truth(spark: Any, out: Path, entity: str) -> Any:
    return spark.read.parquet(f"file://{out}/truth/{entity}")


def silver_table(spark: Any, lake: IsolatedLake, entity: str) -> Any:
    columns = CONTRACTS[entity].column_names
    return spark.read.format("delta").load(lake.uri("silver", entity)).select(*columns)


@pytest.fixture(scope="module")
def scenario(spark: Any, local_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    from gladiator.generate import generate

    out = tmp_path_factory.mktemp("replay")
    generate(out, scale=0.01, seed=7, faults=0.01, fmt="mixed", files_per_entity=2)
    faults = [f for f in json.loads((out / "faults.json").read_text())["faults"] if f["entity"] in ENTITIES]
    lake = IsolatedLake.create(local_stack)
    quarantine_bucket = f"test-quarantine-{lake.suffix}"
    lake.client("s3").create_bucket(Bucket=quarantine_bucket)
    states = {}
    for entity in ENTITIES:
        for path in sorted((out / "landing" / entity).iterdir()):
            key = f"{entity}/{path.name}"
            body = path.read_bytes()
            strict = ValidationLimits(max_file_bytes=len(body) - 1)
            states[key] = land(
                lake, quarantine_bucket, key, body, strict if key == TOO_LARGE else ValidationLimits()
            )
    previous = os.environ.get(constants.LINEAGE_FILE)
    os.environ[constants.LINEAGE_FILE] = str(out / "lineage.jsonl")
    try:
        with pytest.MonkeyPatch.context() as patch:
            customer = CONTRACTS["customer"]
            patch.setitem(CONTRACTS, "customer", replace(customer, rules=(*customer.rules, STRICT_RULE)))
            first = run_batch(lake)
        before = {
            "states": states,
            "customer_silver": silver_table(spark, lake, "customer").count(),
            "customer_quarantine": spark.read.format("delta")
            .load(lake.uri("quarantine", "customer"))
            .count(),
            "batch1_recon": dict(lake.batches.get(first.batch_id).reconciliation),  # type: ignore[union-attr]
        }
        crashed = cli_replay(lake, out, quarantine_bucket, crash_at="before_quarantine_rewrite:customer")
        before["after_crash"] = {
            "customer_silver": silver_table(spark, lake, "customer").count(),
            "customer_quarantine": spark.read.format("delta")
            .load(lake.uri("quarantine", "customer"))
            .count(),
        }
        resumed = cli_replay(lake, out, quarantine_bucket)
        assert resumed.exit_code == 0, resumed.output
        report = json.loads(resumed.stdout)
        second = run_batch(lake)
    finally:
        if previous is None:
            os.environ.pop(constants.LINEAGE_FILE)
        else:
            os.environ[constants.LINEAGE_FILE] = previous
    return Scenario(lake, out, faults, [first, second], report, before, crashed)


def test_the_first_run_rejected_valid_rows_and_a_valid_file(spark, scenario):
    """The faults are really injected: without the replay, silver would miss truth rows."""
    truth_customers = truth(spark, scenario.out, "customer")
    assert scenario.before["customer_silver"] < truth_customers.count()
    negative = truth_customers.where("c_acctbal < 0").count()
    assert negative > 50  # the strict rule rejected that many valid rows...
    assert scenario.before["customer_quarantine"] >= negative  # ...into the quarantine
    assert scenario.before["states"][TOO_LARGE] == LedgerState.QUARANTINED


def test_a_replay_killed_half_way_is_resumed_and_loads_nothing_twice(spark, scenario):
    crashed = scenario.crashed
    assert crashed.exit_code != 0
    lines = [line for line in crashed.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "`gladiator replay --quarantined` resumes it" in lines[0], crashed.stderr
    after_crash = scenario.before["after_crash"]
    truth_customers = truth(spark, scenario.out, "customer").count()
    assert after_crash["customer_silver"] == truth_customers  # the MERGE was committed...
    assert after_crash["customer_quarantine"] == scenario.before["customer_quarantine"]  # ...the rewrite not
    assert scenario.report["resumed"] is True
    assert scenario.report["entities"]["customer"]["accepted"] > 50  # the first computation's counts


@pytest.mark.parametrize("entity", ENTITIES)
def test_silver_equals_truth_after_the_replay(spark, scenario, entity):
    assert_same_rows(silver_table(spark, scenario.lake, entity), truth(spark, scenario.out, entity))


def test_quarantine_holds_exactly_the_injected_faults_with_their_current_reasons(spark, scenario):
    expected = spark.createDataFrame(
        [(f["file"], f["line"], f["reason"]) for f in scenario.faults if f["expected"] == "quarantined"],
        "file string, line int, reason string",
    )
    assert expected.count() > 10
    assert_same_rows(scenario.lake.quarantine_keys(spark, ENTITIES), expected)


def test_the_ledger_shows_the_replayed_file_and_keeps_the_bad_ones(scenario):
    replay_id = scenario.report["replay_id"]
    entries = {e.key: e for e in scenario.lake.ledger.entries()}
    replayed = entries[TOO_LARGE]
    assert replayed.state == LedgerState.LOADED and replayed.batch_id == scenario.batches[1].batch_id
    assert replayed.replayed_by == replay_id
    assert any(h.get("previous_reason") == "file_too_large" for h in replayed.history)
    assert scenario.report["files"]["released"] == [replayed.file_id]
    bad = {f["file"]: f["reason"] for f in scenario.faults if f["expected"] == "file_quarantined"}
    assert bad  # the generator made bad files of these entities
    for key, reason in bad.items():
        assert (entries[key].state, entries[key].reason, entries[key].replayed_by) == (
            LedgerState.QUARANTINED,
            reason,
            None,
        )
    # the landing files whose rows left the quarantine say so, once
    noted = {
        e.key: [
            h["rows_replayed"] for h in e.history if h.get("replay_id") == replay_id and "rows_replayed" in h
        ]
        for e in entries.values()
    }
    moved = scenario.report["entities"]["customer"]
    customer_files = [k for k, rows in noted.items() if rows]
    assert customer_files and all(k.startswith("customer/") for k in customer_files)
    assert sum(n for rows in noted.values() for n in rows) == moved["rows_in"] - moved["quarantined"]
    assert all(len(rows) <= 1 for rows in noted.values())


def test_reconciliation_balances_and_counts_each_replayed_row_once(scenario):
    lake, replay_id = scenario.lake, scenario.report["replay_id"]
    runs = RunStore(lake.job_state_table, lake.client("dynamodb"))
    (moved,) = [r for r in runs.reconciliation(replay_id) if r.entity == "customer"]
    assert moved.balanced and moved.accepted > 50
    first = lake.batches.get(scenario.batches[0].batch_id)
    assert first is not None
    recon, was = first.reconciliation, scenario.before["batch1_recon"]
    assert (
        recon["rows_in"] == was["rows_in"] == recon["accepted"] + recon["quarantined"] + recon["duplicates"]
    )
    assert recon["accepted"] == was["accepted"] + moved.accepted
    assert recon["quarantined"] == was["quarantined"] - moved.accepted - moved.duplicates - moved.stale
    expected = Counter((f["entity"], f["expected"]) for f in scenario.faults)
    for entity in ENTITIES:
        rows = [
            r for b in scenario.batches for r in batch_reconciliation(runs, b.batch_id) if r.entity == entity
        ]
        assert all(r.balanced for r in rows), rows
        truth_rows = sum(
            pq.read_metadata(p).num_rows for p in (scenario.out / "truth" / entity).glob("*.parquet")
        )
        assert sum(r.quarantined for r in rows) == expected[(entity, "quarantined")], rows
        kept = sum(r.accepted + r.duplicates + r.stale for r in rows)
        assert (
            kept == truth_rows + expected[(entity, "dropped_duplicate")] + expected[(entity, "dropped_stale")]
        )


def test_the_replay_records_quality_and_lineage_like_a_batch(scenario):
    lake, replay_id = scenario.lake, scenario.report["replay_id"]
    results = QualityStore(lake.job_state_table, lake.client("dynamodb")).results(replay_id)
    customer = {r.rule: r for r in results if r.entity == "customer"}
    assert set(customer) == set(silver.rule_texts(CONTRACTS["customer"]))  # the fixed contract's rules
    injected = Counter(
        expected_rule(f)
        for f in scenario.faults
        if f["entity"] == "customer" and f["expected"] == "quarantined"
    )
    before_fix = scenario.before["customer_quarantine"]
    assert {r.checked for r in customer.values()} == {before_fix}  # every quarantined row re-checked
    assert Counter({rule: r.failed for rule, r in customer.items() if r.failed}) == injected
    edges = graph.edges(graph.read_events(scenario.out / "lineage.jsonl"), batch_id=replay_id)
    assert any(
        e.source.endswith("/quarantine/customer") and e.target.endswith("/silver/customer") for e in edges
    ), edges


def table_state(spark: Any, lake: IsolatedLake) -> dict[str, tuple[int | None, int]]:
    from gladiator import lake as delta

    state = {}
    for layer in ("bronze", "quarantine", "silver"):
        for entity in ENTITIES:
            path = lake.uri(layer, entity)
            state[f"{layer}/{entity}"] = (
                delta.table_version(spark, path),
                spark.read.format("delta").load(path).count(),
            )
    return state


def test_replaying_again_changes_nothing(spark, scenario):
    lake = scenario.lake
    tables = table_state(spark, lake)
    ledger = sorted(
        (e.file_id, e.state, e.reason, e.replayed_by, len(e.history)) for e in lake.ledger.entries()
    )
    batches = [lake.batches.get(b.batch_id).reconciliation for b in scenario.batches]
    again = replay(lake)
    assert again["replay_id"] != scenario.report["replay_id"]
    assert {e: c["accepted"] for e, c in again["entities"].items()} == dict.fromkeys(again["entities"], 0)
    assert again["files"]["released"] == [] and again["files"]["reason_changed"] == []
    assert table_state(spark, lake) == tables  # no Delta commit at all
    assert (
        sorted((e.file_id, e.state, e.reason, e.replayed_by, len(e.history)) for e in lake.ledger.entries())
        == ledger
    )
    assert [lake.batches.get(b.batch_id).reconciliation for b in scenario.batches] == batches
