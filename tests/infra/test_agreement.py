"""CDK and the local provisioner build the same tables, buckets, queues and rule.

The provisioner runs against moto in-process (unit tier); its resources are read back through the
AWS APIs and compared with the synthesized templates, so a key, GSI, TTL attribute, lifecycle or
redrive changed on one side only fails here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Template
from moto import mock_aws

from gladiator import resources
from gladiator.config import Settings, load_settings
from infra.config import InfraConfig
from local_emulation import provision

REGION = "us-east-1"


@pytest.fixture(scope="module")
def provisioned(config: InfraConfig, monkeypatch_module: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Run the real provisioner on moto; yield the service clients and its settings."""
    for name in ("AWS_ENDPOINT_URL", "GLADIATOR_LEDGER_TABLE", "GLADIATOR_JOB_STATE_TABLE",
                 "GLADIATOR_IDEMPOTENCY_TABLE", "GLADIATOR_LIVE_KPI_TABLE", "GLADIATOR_LANDING_BUCKET",
                 "GLADIATOR_LAKE_BUCKET", "GLADIATOR_QUARANTINE_BUCKET", "GLADIATOR_GLUE_DATABASE"):  # fmt: skip
        monkeypatch_module.delenv(name, raising=False)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():  # fmt: skip
        monkeypatch_module.setenv(key, value)
    settings = load_settings("local")
    settings = dataclasses.replace(
        settings, aws_endpoint=None, naming=resources.Naming(prefix=config.prefix), region=REGION
    )
    calls: list[tuple[str, dict[str, Any]]] = []
    session = boto3.Session(region_name=REGION)
    # moto's GetBucketNotificationConfiguration omits EventBridgeConfiguration: record the requests too.
    session.events.register(
        "provide-client-params.s3.*", lambda params, model, **_: calls.append((model.name, dict(params)))
    )
    with mock_aws():
        provision.provision(settings, session=session)
        clients = {n: boto3.client(n, region_name=REGION) for n in ("s3", "dynamodb", "sqs", "events")}
        yield {"settings": settings, "s3_calls": calls, **clients}


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


# --- comparable views -------------------------------------------------------------------------
def table_view_from_template(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "keys": props["KeySchema"],
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]),
        "indexes": sorted(
            (ix["IndexName"], json.dumps(ix["KeySchema"]), ix["Projection"]["ProjectionType"])
            for ix in props.get("GlobalSecondaryIndexes", [])
        ),
        "ttl": (props.get("TimeToLiveSpecification") or {}).get("AttributeName"),
        "billing": props["BillingMode"],
    }


def table_view_from_api(dynamodb: Any, name: str) -> dict[str, Any]:
    table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return {
        "keys": table["KeySchema"],
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]),
        "indexes": sorted(
            (ix["IndexName"], json.dumps(ix["KeySchema"]), ix["Projection"]["ProjectionType"])
            for ix in table.get("GlobalSecondaryIndexes", [])
        ),
        "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None,
        "billing": table.get("BillingModeSummary", {}).get("BillingMode", "PAY_PER_REQUEST"),
    }


def lifecycle_view(rules: list[dict[str, Any]], *, cfn: bool) -> list[tuple[Any, ...]]:
    out = []
    for rule in rules:
        if cfn:
            out.append((
                rule.get("ExpirationInDays"),
                (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
                (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
                rule.get("Prefix", ""),
            ))  # fmt: skip
        else:
            out.append((
                (rule.get("Expiration") or {}).get("Days"),
                (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
                (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
                (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix", "")),
            ))  # fmt: skip
    return sorted(out, key=repr)


def props_by(template: Template, resource_type: str, name_key: str) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"][name_key]: r["Properties"] for r in template.find_resources(resource_type).values()
    }


# --- tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", resources.TABLES, ids=lambda s: s.logical)
def test_tables_agree(spec: resources.TableSpec, templates: dict[str, Template], config: InfraConfig,
                      provisioned: dict[str, Any]) -> None:  # fmt: skip
    settings: Settings = provisioned["settings"]
    cdk_table = props_by(templates["State"], "AWS::DynamoDB::Table", "TableName")[config.name(spec.logical)]
    local = table_view_from_api(provisioned["dynamodb"], settings.table_name(spec))
    assert table_view_from_template(cdk_table) == local
    # and both agree with the request the provisioner sends
    request = provision.table_definition(settings.table_name(spec), spec)
    assert local["keys"] == request["KeySchema"]


@pytest.mark.parametrize("spec", resources.BUCKETS, ids=lambda s: s.logical)
def test_buckets_agree(spec: resources.BucketSpec, templates: dict[str, Template], config: InfraConfig,
                       provisioned: dict[str, Any]) -> None:  # fmt: skip
    s3 = provisioned["s3"]
    local_name = provisioned["settings"].naming.physical(spec.logical)
    cdk_bucket = props_by(templates["Storage"], "AWS::S3::Bucket", "BucketName")[config.bucket_name(spec)]
    local_versioned = s3.get_bucket_versioning(Bucket=local_name).get("Status") == "Enabled"
    assert ("VersioningConfiguration" in cdk_bucket) == local_versioned
    try:
        local_rules = s3.get_bucket_lifecycle_configuration(Bucket=local_name)["Rules"]
    except s3.exceptions.ClientError:
        local_rules = []
    cdk_rules = cdk_bucket.get("LifecycleConfiguration", {}).get("Rules", [])
    assert lifecycle_view(cdk_rules, cfn=True) == lifecycle_view(local_rules, cfn=False)
    local_eventbridge = any(
        op == "PutBucketNotificationConfiguration"
        and params["Bucket"] == local_name
        and "EventBridgeConfiguration" in params["NotificationConfiguration"]
        for op, params in provisioned["s3_calls"]
    )
    assert (
        "EventBridgeConfiguration" in cdk_bucket.get("NotificationConfiguration", {})
    ) == local_eventbridge


@pytest.mark.parametrize("spec", resources.QUEUES, ids=lambda s: s.logical)
def test_queues_agree(spec: resources.QueueSpec, templates: dict[str, Template], config: InfraConfig,
                      provisioned: dict[str, Any]) -> None:  # fmt: skip
    sqs, settings = provisioned["sqs"], provisioned["settings"]
    queues = props_by(templates["Ingestion"], "AWS::SQS::Queue", "QueueName")
    cdk_queue, cdk_dlq = queues[config.name(spec.logical)], queues[config.name(spec.dlq_logical)]

    def attributes(logical: str) -> dict[str, str]:
        url = sqs.get_queue_url(QueueName=settings.queue_name(logical))["QueueUrl"]
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    local, local_dlq = attributes(spec.logical), attributes(spec.dlq_logical)
    assert cdk_queue["VisibilityTimeout"] == int(local["VisibilityTimeout"])
    assert cdk_queue["MessageRetentionPeriod"] == int(local["MessageRetentionPeriod"])
    assert (
        cdk_queue["RedrivePolicy"]["maxReceiveCount"] == json.loads(local["RedrivePolicy"])["maxReceiveCount"]
    )
    assert cdk_dlq["MessageRetentionPeriod"] == int(local_dlq["MessageRetentionPeriod"])


def test_event_rules_agree(
    templates: dict[str, Template], config: InfraConfig, provisioned: dict[str, Any]
) -> None:
    events, settings = provisioned["events"], provisioned["settings"]
    rules = props_by(templates["Ingestion"], "AWS::Events::Rule", "Name")
    for spec in resources.EVENT_RULES:
        cdk_pattern = rules[config.name(spec.logical)]["EventPattern"]
        local = events.describe_rule(Name=settings.naming.physical(spec.logical))
        local_pattern = json.loads(local["EventPattern"])
        # Same pattern up to the bucket's physical name (global on AWS, prefixed locally).
        local_pattern["detail"]["bucket"]["name"] = [config.bucket_name(resources.LANDING)]
        assert cdk_pattern == local_pattern


def test_the_comparison_sees_a_one_sided_change(templates: dict[str, Template], config: InfraConfig,
                                                provisioned: dict[str, Any]) -> None:  # fmt: skip
    """Guard of the guard: a TTL or key renamed in the template only must not compare equal."""
    settings: Settings = provisioned["settings"]
    spec = resources.JOB_STATE
    cdk_table = dict(
        props_by(templates["State"], "AWS::DynamoDB::Table", "TableName")[config.name(spec.logical)]
    )
    local = table_view_from_api(provisioned["dynamodb"], settings.table_name(spec))
    assert table_view_from_template(cdk_table) == local
    renamed_ttl = {**cdk_table, "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True}}
    assert table_view_from_template(renamed_ttl) != local
    renamed_key = {**cdk_table, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
    assert table_view_from_template(renamed_key) != local
