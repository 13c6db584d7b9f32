"""The EDA report's quality section: the last runs x entities, fed by gladiator.quality, rendered
into the report (moto in-process: an empty lake and a job-state table with three runs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from gladiator import constants, resources
from gladiator.config import load_settings
from gladiator.eda import build_eda
from gladiator.eda.quality_section import quality_rows
from gladiator.quality import EntitySummary, QualityStore, RuleResult
from gladiator.runs import RunStore
from gladiator.timestamps import iso
from local_emulation.provision import table_definition

NOW = datetime.now(UTC)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[QualityStore]:
    """Three runs: b1 and b2 ordinary, b3 with half the orders rejected by one rule."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        constants.PROFILE: "aws",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        constants.JOB_STATE_TABLE: "t-jobs",
        constants.LAKE_BUCKET: "t-lake",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**table_definition("t-jobs", resources.JOB_STATE))
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="t-lake")
        store, runs = QualityStore("t-jobs", client), RunStore("t-jobs", client)
        fresh = iso(NOW - timedelta(hours=1))
        for seq, (run_id, accepted, failed) in enumerate(
            [("b1", 1000, 2), ("b2", 1000, 0), ("b3", 400, 600)], 1
        ):
            runs.start_run(run_id, seq, ["bronze_to_silver"])
            store.put(
                [
                    RuleResult(
                        run_id=run_id,
                        entity="orders",
                        rule="o_orderstatus_domain",
                        checked=1000 + failed,
                        failed=failed,
                    ),
                    RuleResult(
                        run_id=run_id,
                        entity="orders",
                        rule="o_totalprice_range",
                        checked=1000 + failed,
                        failed=0,
                    ),
                    RuleResult(run_id=run_id, entity="nation", rule="n_name_not_null", checked=25, failed=0),
                ],
                EntitySummary(run_id=run_id, entity="orders", accepted=accepted, newest=fresh),
            )
            store.put([], EntitySummary(run_id=run_id, entity="nation", accepted=25, newest=fresh))
        yield store


def test_rows_are_the_last_runs_newest_first_with_failures_per_rule_and_warnings(store: QualityStore) -> None:
    rows = quality_rows(store, ["b1", "b2", "b3"], now=NOW, last=2)
    assert [(r.run_id, r.entity) for r in rows] == [
        ("b3", "nation"),
        ("b3", "orders"),
        ("b2", "nation"),
        ("b2", "orders"),
    ]
    b3_orders = rows[1]
    assert (b3_orders.accepted, b3_orders.checked, b3_orders.failed) == (
        400,
        1600,
        {"o_orderstatus_domain": 600},
    )
    assert b3_orders.failed_total == 600
    assert len(b3_orders.warnings) == 1 and "400 rows accepted, outside" in b3_orders.warnings[0]
    assert rows[0].warnings == [] and rows[3].warnings == [] and rows[3].failed == {}


def test_the_report_shows_the_section(store: QualityStore, tmp_path: Path) -> None:
    report = build_eda(load_settings(), tmp_path, last_runs=3)
    html = report.read_text()
    section = html[html.index('id="quality"') : html.index('id="changes"')]
    rows = re.findall(
        r'<tr class="quality" data-run="(\w+)" data-entity="(\w+)" data-accepted="(\d*)"\s+data-failed="(\d+)" data-warnings="(\d+)"',
        section,
    )
    assert rows == [
        ("b3", "nation", "25", "0", "0"),
        ("b3", "orders", "400", "600", "1"),
        ("b2", "nation", "25", "0", "0"),
        ("b2", "orders", "1000", "0", "0"),
        ("b1", "nation", "25", "0", "0"),
        ("b1", "orders", "1000", "2", "0"),
    ]
    assert '<span data-rule="o_orderstatus_domain" data-failed="600">' in section


def test_no_runs_says_so(store: QualityStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        **table_definition("t-empty", resources.JOB_STATE)
    )
    html = build_eda(load_settings(), tmp_path, job_state_table="t-empty").read_text()
    assert 'data-rows="0"' in html and "No quality results recorded yet" in html
