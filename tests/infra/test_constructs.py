"""One Template assertion per construct, on the session-synthesized app."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match, Template

from gladiator import pipeline, resources
from infra.config import InfraConfig
from infra.constructs.glue_job import GLUE_PYTHON_MODULES


def props_of(template: Template, resource_type: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template.find_resources(resource_type).values()]


def flatten_join(value: Any) -> str:
    """Render a ``Fn::Join`` of strings and intrinsics as text (intrinsics -> ``<ref>``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(flatten_join(p) for p in parts)
    return "<ref>"


# --- storage ----------------------------------------------------------------------------------
def test_data_key_rotates_and_has_alias(templates: dict[str, Template], config: InfraConfig) -> None:
    t = templates["Storage"]
    t.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    t.has_resource_properties("AWS::KMS::Alias", {"AliasName": config.key_alias})


def test_every_bucket_spec_becomes_a_private_ssl_only_bucket(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    t = templates["Storage"]
    buckets = {p["BucketName"]: p for p in props_of(t, "AWS::S3::Bucket")}
    assert set(buckets) == {config.bucket_name(spec) for spec in resources.BUCKETS}
    for spec in resources.BUCKETS:
        bucket = buckets[config.bucket_name(spec)]
        assert bucket["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        }  # fmt: skip
        assert ("VersioningConfiguration" in bucket) == spec.versioned
        assert len(bucket.get("LifecycleConfiguration", {}).get("Rules", [])) == len(spec.lifecycle)
        if spec is not resources.ACCESS_LOGS:
            assert bucket["LoggingConfiguration"]["LogFilePrefix"] == f"{spec.logical}/"
            sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
                "ServerSideEncryptionByDefault"
            ]
            assert sse["SSEAlgorithm"] == "aws:kms"
        eventbridge = bucket.get("NotificationConfiguration", {}).get("EventBridgeConfiguration")
        assert (eventbridge == {"EventBridgeEnabled": True}) == spec.event_bridge
    policies = props_of(t, "AWS::S3::BucketPolicy")
    ssl_denials = [
        s for p in policies for s in p["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]  # fmt: skip
    assert len(ssl_denials) == len(resources.BUCKETS)


def test_tables_are_on_demand_with_pitr_and_kms(templates: dict[str, Template]) -> None:
    tables = props_of(templates["State"], "AWS::DynamoDB::Table")
    assert len(tables) == len(resources.TABLES)
    for table in tables:
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["SSESpecification"]["SSEEnabled"] is True
        assert table["SSESpecification"]["SSEType"] == "KMS"


# --- ingestion --------------------------------------------------------------------------------
def test_queue_redrives_to_its_dlq(templates: dict[str, Template], config: InfraConfig) -> None:
    spec = resources.LANDING_EVENTS
    templates["Ingestion"].has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": config.name(spec.logical),
            "VisibilityTimeout": spec.visibility_timeout_s,
            "RedrivePolicy": {
                "deadLetterTargetArn": Match.any_value(),
                "maxReceiveCount": spec.max_receive_count,
            },
        },
    )
    templates["Ingestion"].has_resource_properties(
        "AWS::SQS::Queue",
        {"QueueName": config.name(spec.dlq_logical), "MessageRetentionPeriod": spec.dlq_retention_s},
    )


def test_landing_rule_uses_the_shared_pattern(templates: dict[str, Template], config: InfraConfig) -> None:
    rule = props_of(templates["Ingestion"], "AWS::Events::Rule")[0]
    expected = resources.object_created_pattern(
        config.bucket_name(resources.LANDING), resources.LANDING_OBJECT_CREATED.detail_types
    )
    assert rule["EventPattern"] == expected
    assert rule["Name"] == config.name(resources.LANDING_OBJECT_CREATED.logical)


def test_landing_function_consumes_the_queue_with_partial_failures(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    t = templates["Ingestion"]
    function = next(
        p
        for p in props_of(t, "AWS::Lambda::Function")
        if p.get("FunctionName") == config.landing_function_name
    )
    assert function["Handler"] == "app.handler"
    assert function["Runtime"] == "python3.11"
    assert function["ReservedConcurrentExecutions"] >= 1
    assert function["TracingConfig"] == {"Mode": "Active"}
    env = function["Environment"]["Variables"]
    assert env["GLADIATOR_PROFILE"] == "aws"
    assert env["GLADIATOR_LEDGER_TABLE"] == config.name(resources.LEDGER.logical)
    assert env["GLADIATOR_LANDING_BUCKET"] == config.bucket_name(resources.LANDING)
    t.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    )


# --- processing -------------------------------------------------------------------------------
def test_glue_database_and_security_configuration(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    t = templates["Processing"]
    t.has_resource_properties(
        "AWS::Glue::Database", {"DatabaseInput": Match.object_like({"Name": config.glue_database})}
    )
    sc = props_of(t, "AWS::Glue::SecurityConfiguration")[0]["EncryptionConfiguration"]
    assert sc["S3Encryptions"][0]["S3EncryptionMode"] == "SSE-KMS"
    assert sc["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert sc["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"


def test_every_batch_job_is_glue_5_1_with_delta_and_the_shared_library(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    jobs = {p["Name"]: p for p in props_of(templates["Processing"], "AWS::Glue::Job")}
    specs = [j for s in pipeline.PIPELINE for j in s.jobs] + [
        *pipeline.SCHEDULED_JOBS,
        *pipeline.ON_DEMAND_JOBS,
    ]
    assert set(jobs) == {config.job_name(j.name) for j in specs}
    for spec in specs:
        job = jobs[config.job_name(spec.name)]
        args = job["DefaultArguments"]
        assert job["GlueVersion"] == "5.1"
        assert job["WorkerType"] == spec.worker_type and job["NumberOfWorkers"] == spec.workers
        assert job["Command"]["Name"] == "glueetl"
        assert args["--datalake-formats"] == "delta"
        assert "--extra-py-files" in args
        assert args["--additional-python-modules"] == ",".join(GLUE_PYTHON_MODULES)
        assert set(pipeline.COMMON_ARGUMENTS) <= set(args)
        assert args["--profile"] == "aws" and args["--lake_bucket"] == config.bucket_name(resources.LAKE)
        assert job["SecurityConfiguration"]


def deployed_definition(templates: dict[str, Template]) -> dict[str, Any]:
    """The state machine's ASL document as synthesized (intrinsics -> "REF")."""
    machine = props_of(templates["Processing"], "AWS::StepFunctions::StateMachine")[0]
    return dict(json.loads(flatten_join(machine["DefinitionString"]).replace("<ref>", "REF")))


def test_state_machine_starts_with_the_claim_then_a_choice_on_an_empty_batch(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    definition = deployed_definition(templates)
    # first a Choice: an input with a "backfill" object runs the backfill job, anything else a batch
    backfill = definition["States"][definition["StartAt"]]
    assert definition["StartAt"] == pipeline.BACKFILL_CHOICE and backfill["Type"] == "Choice"
    assert backfill["Choices"][0]["Variable"] == f"$.{pipeline.BACKFILL_INPUT}"
    assert backfill["Default"] == pipeline.CLAIM_STATE
    claim = definition["States"][backfill["Default"]]
    assert claim["Type"] == "Task" and claim["Resource"] == "arn:aws:states:::lambda:invoke"
    assert claim["Parameters"]["FunctionName"] == "REF"  # the batch function's ARN (GetAtt)
    assert claim["Parameters"]["Payload"] == {
        "action": "claim", "input.$": "$", "execution.$": "$$.Execution.Name",
    }  # fmt: skip
    choice = definition["States"][claim["Next"]]
    assert choice["Type"] == "Choice"
    assert choice["Choices"] == [{"Variable": "$.empty", "BooleanEquals": True, "Next": "nothing to run"}]
    assert definition["States"]["nothing to run"]["Type"] == "Succeed"
    assert choice["Default"] == f"stage: {pipeline.PIPELINE[0].name}"
    for stage in pipeline.PIPELINE:  # a failed stage releases the batch, then fails
        catch = definition["States"][f"stage: {stage.name}"]["Catch"]
        assert catch[0]["ErrorEquals"] == ["States.ALL"] and catch[0]["Next"] == "release batch"
    assert definition["States"]["release batch"]["Next"] == "pipeline failed"
    functions = {p["FunctionName"]: p for p in props_of(templates["Processing"], "AWS::Lambda::Function")}
    assert functions[config.batch_function_name]["Handler"] == "app.handler"


def test_state_machine_renders_the_pipeline_in_order(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    definition = deployed_definition(templates)
    state, order = definition["States"][definition["States"][pipeline.CLAIM_STATE]["Next"]]["Default"], []
    while definition["States"][state].get("Type") == "Parallel":
        parallel = definition["States"][state]
        jobs = []
        for branch in parallel["Branches"]:
            task = branch["States"][branch["StartAt"]]
            assert task["Resource"].endswith(":states:::glue:startJobRun.sync")
            jobs.append(task["Parameters"]["JobName"])
        order.append((state, sorted(jobs)))
        state = parallel["Next"]
    expected = [
        (f"stage: {s.name}", sorted(config.job_name(j.name) for j in s.jobs)) for s in pipeline.PIPELINE
    ]
    assert order == expected
    assert state == "finish batch"
    for stage in pipeline.PIPELINE:  # a stage keeps the state ($.batch_id) for the next one
        parallel = definition["States"][f"stage: {stage.name}"]
        assert "ResultPath" in parallel and parallel["ResultPath"] is None
    batch_task = definition["States"]["stage: ingest"]["Branches"][0]["States"]["run: landing_to_bronze"]
    assert batch_task["Parameters"]["Arguments"] == {"--batch_id.$": "$.batch_id"}


def statements(template: Template, action: str) -> list[dict[str, Any]]:
    out = []
    for policy in props_of(template, "AWS::IAM::Policy"):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if action in actions:
                out.append(statement)
    return out


def test_only_the_landing_and_batch_functions_may_start_executions_of_the_pipeline(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    starts = {name: statements(t, "states:StartExecution") for name, t in templates.items()}
    assert {name for name, found in starts.items() if found} == {"Ingestion", "Processing"}
    machine = next(iter(templates["Processing"].find_resources("AWS::StepFunctions::StateMachine")))
    for found in starts.values():
        for statement in found:  # this state machine only: by name (functions) or Ref (the schedule)
            assert statement["Resource"] in (config.state_machine_arn, {"Ref": machine}), statement
    landing_env = next(
        p for p in props_of(templates["Ingestion"], "AWS::Lambda::Function")
        if p.get("FunctionName") == config.landing_function_name
    )["Environment"]["Variables"]  # fmt: skip
    assert landing_env["GLADIATOR_STATE_MACHINE_ARN"] == config.state_machine_arn
    assert int(landing_env["GLADIATOR_BATCH_MAX_FILES"]) == 50


def test_pipeline_schedule_and_maintenance_trigger(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    t = templates["Processing"]
    schedule = props_of(t, "AWS::Scheduler::Schedule")[0]
    assert schedule["ScheduleExpression"] == config.pipeline_schedule
    assert "batch_id" in schedule["Target"]["Input"]
    t.has_resource_properties(
        "AWS::Glue::Trigger",
        {
            "Type": "SCHEDULED",
            "Schedule": config.maintenance_schedule,
            "Actions": [{"JobName": config.job_name("maintenance")}],
        },
    )
    t.resource_count_is("AWS::EMRServerless::Application", 0)  # behind gladiator:emr_serverless


# --- streaming --------------------------------------------------------------------------------
def test_network_spans_the_context_azs(templates: dict[str, Template], config: InfraConfig) -> None:
    subnets = props_of(templates["Streaming"], "AWS::EC2::Subnet")
    assert {s["AvailabilityZone"] for s in subnets} == set(config.availability_zones)
    templates["Streaming"].resource_count_is("AWS::EC2::FlowLog", 1)


def test_msk_serverless_uses_iam_auth(templates: dict[str, Template]) -> None:
    templates["Streaming"].has_resource_properties(
        "AWS::MSK::ServerlessCluster", {"ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}}}
    )


def test_streaming_job_runs_in_the_vpc(templates: dict[str, Template], config: InfraConfig) -> None:
    t = templates["Streaming"]
    t.has_resource_properties(
        "AWS::Glue::Connection", {"ConnectionInput": Match.object_like({"ConnectionType": "NETWORK"})}
    )
    job = props_of(t, "AWS::Glue::Job")[0]
    assert job["Name"] == config.job_name("streaming_orders")
    assert job["Command"]["Name"] == "gluestreaming"
    assert job["GlueVersion"] == "5.1"
    assert job["Connections"]["Connections"]
    assert job["DefaultArguments"]["--datalake-formats"] == "delta"


# --- warehouse --------------------------------------------------------------------------------
def test_redshift_serverless_with_managed_secret_and_copy_role(
    templates: dict[str, Template], config: InfraConfig
) -> None:
    t = templates["Warehouse"]
    t.has_resource_properties(
        "AWS::RedshiftServerless::Namespace",
        {
            "NamespaceName": config.warehouse_name,
            "ManageAdminPassword": True,
            "DefaultIamRoleArn": Match.any_value(),
        },
    )
    t.has_resource_properties(
        "AWS::RedshiftServerless::Workgroup", {"PubliclyAccessible": False, "SubnetIds": Match.any_value()}
    )
    roles = props_of(t, "AWS::IAM::Role")
    principals = roles[0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
    assert "redshift.amazonaws.com" in principals


# --- observability ----------------------------------------------------------------------------
def test_alarms_cover_dlq_errors_failures_lag_and_freshness(templates: dict[str, Template]) -> None:
    t = templates["Observability"]
    alarms = props_of(t, "AWS::CloudWatch::Alarm")
    metric_names = {a.get("MetricName") for a in alarms} | {
        m.get("MetricStat", {}).get("Metric", {}).get("MetricName")
        for a in alarms
        for m in a.get("Metrics", [])
    }
    assert {
        "ApproximateNumberOfMessagesVisible", "Errors", "ExecutionsFailed",
        "glue.driver.streaming.maxConsumerLagInMs", "ExecutionsSucceeded",
    } <= metric_names  # fmt: skip
    assert all(a["AlarmActions"] for a in alarms)
    t.has_resource_properties("AWS::SNS::Topic", {"TopicName": Match.string_like_regexp("alarms$")})
    t.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"]}
            )
        },
    )
    t.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_glue_python_modules_are_the_pinned_versions_the_jobs_import() -> None:
    """Glue installs what the shared package imports beyond its own libraries, at the versions
    the tests ran with (constraints.txt), and the jobs do import them."""
    from pathlib import Path

    pins = {
        line.split("==")[0].lower(): line.strip()
        for line in (Path(__file__).resolve().parents[2] / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    for module in GLUE_PYTHON_MODULES:
        assert pins[module.split("==")[0].lower()] == module, module
    import importlib

    for package in ("openlineage.client", "pymysql"):
        importlib.import_module(package)
