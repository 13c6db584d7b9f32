"""Issue 17 in CDK: the data-quality alarms (one per entity and check, on the metrics the batch
job emits) and the OpenLineage endpoint set in the CDK configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from gladiator import constants, pipeline, quality
from gladiator.contracts import CONTRACTS
from gladiator.quality import EntitySummary
from infra.app import build_app
from infra.config import LINEAGE_URL_ARGUMENT, InfraConfig

LINEAGE_URL = "https://lineage.example.com/api/v1/lineage"


def quality_alarms(template: Template) -> list[dict[str, Any]]:
    alarms = template.find_resources("AWS::CloudWatch::Alarm").values()
    return [a["Properties"] for a in alarms if a["Properties"].get("Namespace") == quality.EMF_NAMESPACE]


class OneRunStore:
    """The summaries of one run, as ``QualityStore`` returns them (for ``check_emf_lines``)."""

    def __init__(self, entities: list[str]) -> None:
        self.entities = entities

    def summaries(self, run_id: str) -> list[EntitySummary]:
        return [EntitySummary(run_id=run_id, entity=e, accepted=1) for e in self.entities]


def test_one_alarm_per_entity_and_check_notifying_the_alarm_topic(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    t = templates["Observability"]
    topic = next(iter(t.find_resources("AWS::SNS::Topic")))
    found = {(a["MetricName"], a["Dimensions"][0]["Value"]): a for a in quality_alarms(t)}
    expected = {("RowCountAnomaly", name) for name in CONTRACTS} | {
        ("FreshnessBreach", name) for name, c in CONTRACTS.items() if c.freshness_sla_hours is not None
    }
    assert set(found) == expected
    assert len(expected) == 12  # static reference data (no freshness SLA) has no freshness alarm
    for (_metric, entity), alarm in found.items():
        assert alarm["Dimensions"] == [{"Name": "Entity", "Value": entity}]
        assert alarm["AlarmActions"] == [{"Ref": topic}]
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmName"].startswith(f"{config.prefix}-quality-{entity}-")


def test_the_alarms_watch_exactly_the_metrics_the_batch_job_emits(templates: dict[str, Template]) -> None:
    (line, *_) = quality.check_emf_lines(OneRunStore(["orders"]), ["b1"], "b1")  # type: ignore[arg-type]
    record = json.loads(line)
    directive = record["_aws"]["CloudWatchMetrics"][0]
    emitted = {
        (directive["Namespace"], m["Name"], tuple(directive["Dimensions"][0])) for m in directive["Metrics"]
    }
    watched = {
        (a["Namespace"], a["MetricName"], tuple(d["Name"] for d in a["Dimensions"]))
        for a in quality_alarms(templates["Observability"])
        if a["Dimensions"][0]["Value"] == "orders"
    }
    assert watched == emitted


def test_the_dashboard_shows_the_quality_alarms(templates: dict[str, Template]) -> None:
    (dashboard,) = templates["Observability"].find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert body.count("-quality-") == 12


def test_no_lineage_endpoint_by_default(templates: dict[str, Template]) -> None:
    text = json.dumps([templates[s].to_json() for s in ("Ingestion", "Processing", "Streaming")])
    assert constants.LINEAGE_URL not in text and LINEAGE_URL_ARGUMENT not in text


@pytest.fixture(scope="module")
def with_lineage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Template]:
    app = build_app({"gladiator:lineage_url": LINEAGE_URL}, outdir=str(tmp_path_factory.mktemp("lineage")))
    return {
        c.node.id: Template.from_stack(c)
        for c in app.node.children
        if isinstance(c, cdk.Stack) and c.node.id in ("Ingestion", "Processing", "Streaming")
    }


def test_the_lineage_url_context_reaches_the_lambda_and_every_glue_job(
    with_lineage: dict[str, Template],
) -> None:
    functions = with_lineage["Ingestion"].find_resources("AWS::Lambda::Function").values()
    landing = [f for f in functions if "on-landing-object" in str(f["Properties"].get("FunctionName"))]
    assert (
        landing and landing[0]["Properties"]["Environment"]["Variables"][constants.LINEAGE_URL] == LINEAGE_URL
    )
    jobs = [
        job["Properties"]
        for stack in ("Processing", "Streaming")
        for job in with_lineage[stack].find_resources("AWS::Glue::Job").values()
    ]
    expected = len(pipeline.all_jobs())  # batch, scheduled, on-demand and streaming jobs
    assert len(jobs) == expected
    for job in jobs:
        assert job["DefaultArguments"][LINEAGE_URL_ARGUMENT] == LINEAGE_URL, job["Name"]


def test_cdk_json_declares_the_lineage_key_empty(tmp_path: Path) -> None:
    from infra.app import cdk_json_context

    assert cdk_json_context()["gladiator:lineage_url"] == ""
    assert InfraConfig.from_context(cdk.App(context=cdk_json_context())).lineage_url is None
