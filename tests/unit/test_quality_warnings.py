"""The checks across runs where they surface: `gladiator pipeline status` (human and --json),
`gladiator quality`, and the per-entity EMF metrics the CloudWatch alarms watch.

moto in-process, profile ``aws`` (no endpoint: moto intercepts the default AWS endpoints)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from gladiator import constants, quality, resources
from gladiator.quality import EntitySummary, QualityStore
from gladiator.runs import RunStore
from gladiator.timestamps import iso
from local_emulation.provision import table_definition

NOW = datetime.now(UTC)
FRESH = iso(NOW - timedelta(hours=1))
STALE = iso(NOW - timedelta(hours=30))  # orders' SLA is 24 h
OLDER = iso(NOW - timedelta(hours=40))


@dataclass
class Stack:
    quality: QualityStore
    runs: RunStore

    def record(self, batch_id: str, seq: int, summaries: dict[str, tuple[int, str]]) -> None:
        """One finished run with ``entity -> (accepted rows, newest updated_at)``."""
        self.runs.start_run(batch_id, seq, ["bronze_to_silver"])
        for entity, (accepted, newest) in summaries.items():
            self.quality.put(
                [], EntitySummary(run_id=batch_id, entity=entity, accepted=accepted, newest=newest)
            )
        self.runs.finish_run(batch_id, "SUCCEEDED")


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(constants.PROFILE, "aws")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv(constants.LEDGER_TABLE, "t-ledger")
    monkeypatch.setenv(constants.JOB_STATE_TABLE, "t-jobs")
    monkeypatch.setenv(constants.LAKE_BUCKET, "t-lake")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**table_definition("t-ledger", resources.LEDGER))
        client.create_table(**table_definition("t-jobs", resources.JOB_STATE))
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="t-lake")
        yield Stack(QualityStore("t-jobs", client), RunStore("t-jobs", client))


def invoke(*args: str) -> Any:
    from gladiator_cli import cli

    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_status_shows_each_warning_of_the_newest_run(stack: Stack) -> None:
    for n in (1, 2, 3):
        stack.record(f"b{n}", n, {"orders": (1000, OLDER), "nation": (25, FRESH)})
    # b4: five times the usual orders, and the newest order of any run 30 h old; nation as usual
    stack.record("b4", 4, {"orders": (5000, STALE), "nation": (25, FRESH)})
    report = json.loads(invoke("pipeline", "status", "--json").output)
    assert sorted((w["batch_id"], w["entity"], w["check"]) for w in report["warnings"]) == [
        ("b4", "orders", "freshness"),
        ("b4", "orders", "row_count_anomaly"),
    ]
    human = invoke("pipeline", "status").output
    warnings = [line for line in human.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, human
    assert any("batch b4: orders: 5,000 rows accepted, outside 500..1,500" in w for w in warnings)
    # the age is judged now: 30 h plus the time since this module was imported (a long suite)
    age = (datetime.now(UTC) - (NOW - timedelta(hours=30))).total_seconds() / 3600
    ages = {f"{age - 0.05:.1f}", f"{age:.1f}"}  # the status may have judged it a moment earlier
    assert any(
        f"batch b4: orders: newest updated_at is {a} h old, SLA 24 h" in w for w in warnings for a in ages
    ), warnings


def test_status_has_no_warning_for_a_run_within_band_and_sla(stack: Stack) -> None:
    for n in (1, 2, 3):
        stack.record(f"b{n}", n, {"orders": (1000, FRESH)})
    stack.record("b4", 4, {"orders": (1400, FRESH)})  # +40 %: inside orders' ±50 % band
    assert json.loads(invoke("pipeline", "status", "--json").output)["warnings"] == []
    assert "warning:" not in invoke("pipeline", "status").output


def test_a_fresh_newer_run_clears_the_warnings_of_an_earlier_one(stack: Stack) -> None:
    for n in (1, 2, 3):
        stack.record(f"b{n}", n, {"orders": (1000, FRESH)})
    stack.record("b4", 4, {"orders": (5000, STALE)})
    stack.record("b5", 5, {"orders": (1000, FRESH)})  # only the newest run is judged
    assert json.loads(invoke("pipeline", "status", "--json").output)["warnings"] == []


def test_quality_and_status_report_the_same_warnings(stack: Stack) -> None:
    for n in (1, 2):
        stack.record(f"b{n}", n, {"orders": (1000, FRESH)})
    stack.record("b3", 3, {"orders": (100, FRESH)})
    status = json.loads(invoke("pipeline", "status", "--json").output)["warnings"]
    from_quality = json.loads(invoke("quality", "--json").output)["warnings"]
    assert [w["message"] for w in status] == [w["message"] for w in from_quality]
    assert [w["check"] for w in status] == ["row_count_anomaly"]


def test_check_metrics_are_one_record_per_entity_with_0_or_1(stack: Stack) -> None:
    for n in (1, 2, 3):
        stack.record(f"b{n}", n, {"orders": (1000, OLDER), "lineitem": (4000, FRESH)})
    stack.record("b4", 4, {"orders": (1000, STALE), "lineitem": (9000, FRESH)})
    runs = [str(r["batch_id"]) for r in stack.runs.runs()]
    records = {r["Entity"]: r for r in map(json.loads, quality.check_emf_lines(stack.quality, runs, "b4"))}
    assert set(records) == {"orders", "lineitem"}
    assert (records["orders"]["RowCountAnomaly"], records["orders"]["FreshnessBreach"]) == (0, 1)
    assert (records["lineitem"]["RowCountAnomaly"], records["lineitem"]["FreshnessBreach"]) == (1, 0)
    directive = records["orders"]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == quality.EMF_NAMESPACE
    assert directive["Dimensions"] == [["Entity"]]  # exactly the dimensions the alarms name
    assert {m["Name"] for m in directive["Metrics"]} == set(quality.CHECK_METRICS.values())
    # judged against the runs before it, not after: b2 was an ordinary run
    b2 = {r["Entity"]: r for r in map(json.loads, quality.check_emf_lines(stack.quality, runs, "b2"))}
    assert b2["lineitem"]["RowCountAnomaly"] == 0


def test_runs_up_to_keeps_the_run_and_its_history_only() -> None:
    runs = [f"b{n}" for n in range(1, 21)]
    assert quality.runs_up_to(runs, "b15") == [f"b{n}" for n in range(5, 16)]
    assert quality.runs_up_to(runs[:3], "new") == ["b1", "b2", "b3", "new"]
