"""Provision the local AWS resources through the AWS APIs, from ``gladiator.resources``.

The CDK constructs build the same buckets, tables, queues and rules from the same specs. Every
step is idempotent: ``gladiator local up`` can run any number of times (and must run again after
moto_server restarts, since moto keeps its state in memory).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from gladiator import resources
from gladiator.config import Settings
from gladiator.resources import object_created_pattern  # re-exported: the pattern is shared with CDK


@dataclass
class ProvisionReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)

    def note(self, created: bool, what: str) -> None:
        (self.created if created else self.existing).append(what)


def _clients(settings: Settings, session: boto3.Session | None) -> dict[str, Any]:
    session = session or boto3.Session()
    kwargs = settings.boto3_kwargs()
    return {name: session.client(name, **kwargs) for name in ("s3", "dynamodb", "sqs", "events", "glue")}  # type: ignore[call-overload]


def ensure_bucket(s3: Any, name: str, spec: resources.BucketSpec, region: str) -> bool:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created = name not in existing
    if created:
        args: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**args)
    if spec.versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if spec.lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={"Rules": [_lifecycle_rule(i, r) for i, r in enumerate(spec.lifecycle)]},
        )
    if spec.event_bridge:
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    return created


def _lifecycle_rule(index: int, rule: resources.LifecycleSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": f"rule-{index}", "Status": "Enabled", "Filter": {"Prefix": rule.prefix}}
    if rule.expire_days:
        out["Expiration"] = {"Days": rule.expire_days}
    if rule.noncurrent_expire_days:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expire_days}
    if rule.abort_multipart_days:
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule.abort_multipart_days}
    return out


def table_definition(name: str, spec: resources.TableSpec) -> dict[str, Any]:
    """The CreateTable request for ``spec`` (also used by the CDK/local agreement test)."""

    def key_schema(pk: resources.KeySpec, sk: resources.KeySpec | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
        if sk:
            schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
        return schema

    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": k, "AttributeType": t} for k, t in sorted(spec.attribute_definitions().items())
        ],
        "KeySchema": key_schema(spec.partition_key, spec.sort_key),
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": ix.name,
                "KeySchema": key_schema(ix.partition_key, ix.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for ix in spec.indexes
        ]
    return request


def ensure_table(dynamodb: Any, name: str, spec: resources.TableSpec) -> bool:
    created = name not in dynamodb.list_tables()["TableNames"]
    if created:
        dynamodb.create_table(**table_definition(name, spec))
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    if spec.ttl_attribute:
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
    return created


def ensure_queue(sqs: Any, settings: Settings, spec: resources.QueueSpec) -> tuple[bool, str]:
    """Create the queue and its DLQ (redrive after ``max_receive_count``); return (created, arn)."""

    def arn_of(url: str) -> str:
        return str(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        )

    name = settings.queue_name(spec.logical)
    existed = _queue_exists(sqs, name)
    dlq_url = sqs.create_queue(
        QueueName=settings.queue_name(spec.dlq_logical),
        Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_s)},
    )["QueueUrl"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = arn_of(url)
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "MessageRetentionPeriod": str(spec.retention_s),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": arn_of(dlq_url), "maxReceiveCount": spec.max_receive_count}
            ),
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EventBridgeSend",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arn,
                        }
                    ],
                }
            ),
        },
    )
    return not existed, arn


def _queue_exists(sqs: Any, name: str) -> bool:
    try:
        sqs.get_queue_url(QueueName=name)
    except sqs.exceptions.QueueDoesNotExist:
        return False
    return True


def ensure_rule(events: Any, settings: Settings, spec: resources.EventRuleSpec, queue_arn: str) -> bool:
    name = settings.naming.physical(spec.logical)
    created = name not in {r["Name"] for r in events.list_rules(NamePrefix=name).get("Rules", [])}
    pattern = object_created_pattern(settings.naming.physical(spec.source_bucket), spec.detail_types)
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return created


def ensure_glue_database(glue: Any, name: str) -> bool:
    try:
        glue.get_database(Name=name)
        return False
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(
            DatabaseInput={"Name": name, "Description": "Gladiator lakehouse (Delta tables)"}
        )
        return True


def provision(settings: Settings, *, session: boto3.Session | None = None) -> ProvisionReport:
    """Create (or confirm) every bucket, table, queue, rule and the Glue database."""
    clients = _clients(settings, session)
    report = ProvisionReport()
    for bucket in resources.BUCKETS:
        name = settings.naming.physical(bucket.logical)
        report.note(ensure_bucket(clients["s3"], name, bucket, settings.region), f"bucket {name}")
    for table in resources.TABLES:
        name = settings.table_name(table)
        report.note(ensure_table(clients["dynamodb"], name, table), f"table {name}")
    queue_arns: dict[str, str] = {}
    for queue in resources.QUEUES:
        created, queue_arns[queue.logical] = ensure_queue(clients["sqs"], settings, queue)
        report.note(created, f"queue {settings.queue_name(queue.logical)} (+dlq)")
    for rule in resources.EVENT_RULES:
        created = ensure_rule(clients["events"], settings, rule, queue_arns[rule.target_queue])
        report.note(created, f"rule {settings.naming.physical(rule.logical)}")
    report.note(
        ensure_glue_database(clients["glue"], settings.glue_database),
        f"glue database {settings.glue_database}",
    )
    return report
