"""Smoke-deploy the app to a private moto_server and check every resource through its API.

A ``cdk deploy`` that prints success proves little on moto (it skips or half-builds many resource
types, see MACHINE-NOTES), so after deploying, every resource CloudFormation reports is looked up
through its service API and classified:

- ``accepted``: the resource exists with the properties we check;
- ``half-built``: it exists but moto dropped checked properties (or the API cannot find it);
- ``skipped``: CloudFormation never created it;
- ``unchecked``: created, but no API check is written for the type.

A test and benchmark harness, not part of the CDK app: used by tests/infra/test_emulator_deploy.py
and bench/bench_cdk.py. The server is our own (own port, own home for its PID file and log, own
CDK_HOME), never the shared one on 5000; it is started by the local stack's own ``MotoServer``.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3

from gladiator.config import load_settings
from local_emulation.process import port_is_free
from local_emulation.services import MotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"
ACCOUNT = "111111111111"
REGION = "us-east-1"


def free_port(start: int = 5100, stop: int = 5200) -> int:
    for port in range(start, stop):
        if port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {start}..{stop}")


@dataclass(frozen=True)
class _PrivateMoto(MotoServer):
    """The local stack's moto_server start-up (process, PID file, health check, config), on our own
    port and home, with its own account id so CDK's account cache never mixes it with the stack's."""

    account: str = ACCOUNT

    def env(self) -> dict[str, str]:
        return {**super().env(), "MOTO_ACCOUNT_ID": self.account}

    def after_start(self) -> None:
        """No moto-api config: with the local stack's ``execute_state_machine`` setting on,
        DescribeStateMachine did not find the state machine CloudFormation had created
        (StateMachineDoesNotExist; without it: accepted). The smoke deploy checks moto as it is."""


@contextmanager
def moto_server(port: int, *, account: str = ACCOUNT) -> Iterator[str]:
    """A moto_server of our own on ``port`` (account ``account``); stopped, by pid, on exit."""
    with tempfile.TemporaryDirectory(prefix="gladiator-emulator-") as home:
        settings = load_settings("local")
        settings = replace(settings, home=Path(home), ports=replace(settings.ports, moto=port))
        server = _PrivateMoto(settings, account=account)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


def emulator_env(port: int, cdk_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        # moto reads 127.0.0.1/<bucket> as bucket "127": CloudFormation must fetch templates via a name.
        AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION=f"http://localhost:{port}",
        CDK_HOME=str(cdk_home),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    return env


@dataclass
class DeployResult:
    bootstrap_s: float
    deploy_s: float
    output: str


def deploy(port: int, *, cdk_home: Path, outdir: Path, timeout_s: int = 420) -> DeployResult:
    """``cdk bootstrap`` + ``cdk deploy --all`` (profile ``local``) against the server on ``port``."""
    env = emulator_env(port, cdk_home)
    context = ["-c", "gladiator:profile=local"]

    def run(*args: str) -> tuple[float, str]:
        started = time.monotonic()
        result = subprocess.run(
            [str(CDK), *args, *context, "-o", str(outdir)],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s,
        )  # fmt: skip
        output = result.stdout + result.stderr
        if result.returncode != 0:
            raise RuntimeError(f"cdk {args[0]} failed ({result.returncode}):\n{output[-6000:]}")
        return time.monotonic() - started, output

    bootstrap_s, out1 = run("bootstrap", f"aws://{ACCOUNT}/{REGION}")
    deploy_s, out2 = run("deploy", "--all", "--require-approval", "never", "--progress", "events")
    return DeployResult(bootstrap_s=bootstrap_s, deploy_s=deploy_s, output=out1 + out2)


# --- verification -------------------------------------------------------------------------------
@dataclass
class Check:
    stack: str
    logical_id: str
    resource_type: str
    status: str  # accepted | half-built | skipped | unchecked
    note: str = ""


@dataclass
class Verifier:
    endpoint: str
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, name: str) -> Any:
        if name not in self.clients:
            self.clients[name] = boto3.client(  # type: ignore[call-overload]
                name, endpoint_url=self.endpoint, region_name=REGION,
                aws_access_key_id="testing", aws_secret_access_key="testing",
            )  # fmt: skip
        return self.clients[name]


Checker = Callable[[Verifier, str, dict[str, Any], dict[str, str]], list[str]]
"""(verifier, physical id, template properties, logical->physical ids) -> dropped properties.
Raises if the resource does not exist."""


def _bucket(v: Verifier, name: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    s3, dropped = v.client("s3"), []
    s3.head_bucket(Bucket=name)
    if (
        "VersioningConfiguration" in props
        and s3.get_bucket_versioning(Bucket=name).get("Status") != "Enabled"
    ):
        dropped.append("versioning")
    for prop, call, what in (
        ("BucketEncryption", s3.get_bucket_encryption, "encryption"),
        ("LifecycleConfiguration", s3.get_bucket_lifecycle_configuration, "lifecycle"),
        ("PublicAccessBlockConfiguration", s3.get_public_access_block, "public-access-block"),
    ):
        if prop in props:
            try:
                call(Bucket=name)
            except s3.exceptions.ClientError:
                dropped.append(what)
    if "LoggingConfiguration" in props and "LoggingEnabled" not in s3.get_bucket_logging(Bucket=name):
        dropped.append("access-logging")
    if "NotificationConfiguration" in props:
        notification = s3.get_bucket_notification_configuration(Bucket=name)
        if "EventBridgeConfiguration" not in notification:
            dropped.append("eventbridge-notifications")
    return dropped


def _bucket_policy(v: Verifier, physical: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    bucket = (
        ids.get(props["Bucket"].get("Ref", ""), "") if isinstance(props["Bucket"], dict) else props["Bucket"]
    )
    v.client("s3").get_bucket_policy(Bucket=bucket)
    return []


def _table(v: Verifier, name: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    ddb, dropped = v.client("dynamodb"), []
    table = ddb.describe_table(TableName=name)["Table"]
    if table["KeySchema"] != props["KeySchema"]:
        dropped.append("key-schema")
    if len(table.get("GlobalSecondaryIndexes", [])) != len(props.get("GlobalSecondaryIndexes", [])):
        dropped.append("gsis")
    if "TimeToLiveSpecification" in props:
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dropped.append("ttl")
    pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    if pitr.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") != "ENABLED":
        dropped.append("pitr")
    if table.get("SSEDescription", {}).get("SSEType") != "KMS":
        dropped.append("kms-encryption")
    return dropped


def _queue(v: Verifier, url: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    attrs = v.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    dropped = []
    if "RedrivePolicy" in props and "RedrivePolicy" not in attrs:
        dropped.append("redrive")
    if "VisibilityTimeout" in props and int(attrs.get("VisibilityTimeout", -1)) != props["VisibilityTimeout"]:
        dropped.append("visibility-timeout")
    return dropped


def _queue_policy(v: Verifier, physical: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    url = ids.get(props["Queues"][0].get("Ref", ""), "")
    attrs = v.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    return [] if "Policy" in attrs else ["policy"]


def _rule(v: Verifier, physical: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    events = v.client("events")
    name = physical.split("|")[-1].split("/")[-1]
    events.describe_rule(Name=name)
    return [] if events.list_targets_by_rule(Rule=name)["Targets"] else ["targets"]


def _function(v: Verifier, name: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    fn = v.client("lambda").get_function(FunctionName=name)
    config, dropped = fn["Configuration"], []
    if config.get("Handler") != props.get("Handler"):
        dropped.append("handler")
    if "ReservedConcurrentExecutions" in props and "Concurrency" not in fn:
        dropped.append("reserved-concurrency")
    if (
        props.get("TracingConfig", {}).get("Mode") == "Active"
        and config.get("TracingConfig", {}).get("Mode") != "Active"
    ):
        dropped.append("tracing")
    if "LoggingConfig" in props and not config.get("LoggingConfig", {}).get("LogGroup"):
        dropped.append("log-group")
    return dropped


def _esm(v: Verifier, uuid: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
    esm = v.client("lambda").get_event_source_mapping(UUID=uuid)
    dropped = []
    if esm.get("BatchSize") != props.get("BatchSize"):
        dropped.append("batch-size")
    if (
        props.get("FunctionResponseTypes")
        and esm.get("FunctionResponseTypes") != props["FunctionResponseTypes"]
    ):
        dropped.append("report-batch-item-failures")
    return dropped


def _simple(call: Callable[[Verifier, str, dict[str, Any], dict[str, str]], Any]) -> Checker:
    def check(v: Verifier, physical: str, props: dict[str, Any], ids: dict[str, str]) -> list[str]:
        call(v, physical, props, ids)
        return []

    return check


def _exists_in(items: list[Any], what: str) -> bool:
    if not items:
        raise LookupError(f"{what} not found")
    return True


CHECKERS: dict[str, Checker] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::Events::Rule": _rule,
    "AWS::Lambda::Function": _function,
    "AWS::Lambda::EventSourceMapping": _esm,
    "AWS::KMS::Key": _simple(lambda v, p, props, ids: v.client("kms").describe_key(KeyId=p)),
    "AWS::KMS::Alias": _simple(
        lambda v, p, props, ids: _exists_in(
            [a for a in v.client("kms").list_aliases()["Aliases"] if a["AliasName"] == props["AliasName"]], p
        )
    ),
    "AWS::IAM::Role": _simple(lambda v, p, props, ids: v.client("iam").get_role(RoleName=p)),
    "AWS::IAM::Policy": _simple(
        lambda v, p, props, ids: v.client("iam").get_role_policy(
            RoleName=ids[props["Roles"][0]["Ref"]], PolicyName=props["PolicyName"]
        )
    ),
    "AWS::Logs::LogGroup": _simple(
        lambda v, p, props, ids: _exists_in(
            v.client("logs").describe_log_groups(logGroupNamePrefix=p)["logGroups"], p
        )
    ),
    "AWS::SNS::Topic": _simple(lambda v, p, props, ids: v.client("sns").get_topic_attributes(TopicArn=p)),
    "AWS::SNS::TopicPolicy": _simple(
        lambda v, p, props, ids: (
            "AlarmsAndEventsPublish"
            in v.client("sns").get_topic_attributes(TopicArn=ids[props["Topics"][0]["Ref"]])["Attributes"][
                "Policy"
            ]
            or _exists_in([], "topic policy statement")
        )
    ),
    "AWS::CloudWatch::Alarm": _simple(
        lambda v, p, props, ids: _exists_in(
            v.client("cloudwatch").describe_alarms(AlarmNames=[p])["MetricAlarms"]
            + v.client("cloudwatch").describe_alarms(AlarmNames=[p])["CompositeAlarms"],
            p,
        )
    ),
    "AWS::CloudWatch::Dashboard": _simple(
        lambda v, p, props, ids: v.client("cloudwatch").get_dashboard(DashboardName=p)
    ),
    "AWS::StepFunctions::StateMachine": _simple(
        lambda v, p, props, ids: v.client("stepfunctions").describe_state_machine(stateMachineArn=p)
    ),
    "AWS::Scheduler::Schedule": _simple(
        lambda v, p, props, ids: v.client("scheduler").get_schedule(Name=props.get("Name") or p)
    ),
    "AWS::EC2::VPC": _simple(lambda v, p, props, ids: v.client("ec2").describe_vpcs(VpcIds=[p])),
    "AWS::EC2::Subnet": _simple(lambda v, p, props, ids: v.client("ec2").describe_subnets(SubnetIds=[p])),
    "AWS::EC2::SecurityGroup": _simple(
        lambda v, p, props, ids: v.client("ec2").describe_security_groups(GroupIds=[p])
    ),
    "AWS::EC2::RouteTable": _simple(
        lambda v, p, props, ids: v.client("ec2").describe_route_tables(RouteTableIds=[p])
    ),
    "AWS::EC2::InternetGateway": _simple(
        lambda v, p, props, ids: v.client("ec2").describe_internet_gateways(InternetGatewayIds=[p])
    ),
    "AWS::EC2::NatGateway": _simple(
        lambda v, p, props, ids: _exists_in(
            v.client("ec2").describe_nat_gateways(NatGatewayIds=[p])["NatGateways"], p
        )
    ),
    "AWS::EC2::VPCEndpoint": _simple(
        lambda v, p, props, ids: v.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[p])
    ),
    "AWS::EC2::FlowLog": _simple(
        lambda v, p, props, ids: _exists_in(v.client("ec2").describe_flow_logs(FlowLogIds=[p])["FlowLogs"], p)
    ),
    "AWS::Glue::Database": _simple(
        lambda v, p, props, ids: v.client("glue").get_database(Name=props["DatabaseInput"]["Name"])
    ),
    "AWS::Glue::Job": _simple(lambda v, p, props, ids: v.client("glue").get_job(JobName=props["Name"])),
    "AWS::Glue::Trigger": _simple(lambda v, p, props, ids: v.client("glue").get_trigger(Name=props["Name"])),
    "AWS::Glue::Connection": _simple(
        lambda v, p, props, ids: v.client("glue").get_connection(Name=props["ConnectionInput"]["Name"])
    ),
    "AWS::Glue::SecurityConfiguration": _simple(
        lambda v, p, props, ids: v.client("glue").get_security_configuration(Name=props["Name"])
    ),
    "AWS::MSK::ServerlessCluster": _simple(
        lambda v, p, props, ids: _exists_in(
            [
                c
                for c in v.client("kafka").list_clusters_v2()["ClusterInfoList"]
                if c["ClusterName"] == props["ClusterName"]
            ],
            props["ClusterName"],
        )
    ),
}


def verify(endpoint: str, assembly: Path) -> list[Check]:
    """Classify every resource of every template in ``assembly`` (a ``cdk synth -o`` folder)."""
    verifier = Verifier(endpoint)
    cfn = verifier.client("cloudformation")
    checks: list[Check] = []
    for template_path in sorted(assembly.glob("*.template.json")):
        stack_id = template_path.name.removesuffix(".template.json")
        manifest = json.loads((assembly / "manifest.json").read_text())
        stack_name = manifest["artifacts"][stack_id]["properties"].get("stackName", stack_id)
        resources = json.loads(template_path.read_text()).get("Resources", {})
        try:
            summaries = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
        except Exception:  # the stack itself was never created
            summaries = []
        ids = {s["LogicalResourceId"]: s.get("PhysicalResourceId", "") for s in summaries}
        for logical_id, resource in resources.items():
            rtype, props = resource["Type"], resource.get("Properties", {})
            if logical_id not in ids or not ids[logical_id]:
                checks.append(Check(stack_id, logical_id, rtype, "skipped", "not created by CloudFormation"))
                continue
            checker = CHECKERS.get(rtype)
            if checker is None:
                checks.append(Check(stack_id, logical_id, rtype, "unchecked", "no API check for this type"))
                continue
            try:
                dropped = checker(verifier, ids[logical_id], props, ids)
            except Exception as error:
                checks.append(
                    Check(
                        stack_id,
                        logical_id,
                        rtype,
                        "half-built",
                        f"API: {type(error).__name__}: {error}"[:160],
                    )
                )
                continue
            status = "half-built" if dropped else "accepted"
            checks.append(Check(stack_id, logical_id, rtype, status, ", ".join(dropped)))
    return checks


def summary_table(checks: list[Check]) -> str:
    """One line per resource type: counts per status and the dropped properties seen."""
    by_type: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    notes: dict[str, set[str]] = collections.defaultdict(set)
    for check in checks:
        by_type[check.resource_type][check.status] += 1
        if check.note and check.status != "accepted":
            notes[check.resource_type].update(n.strip() for n in check.note.split(",") if n.strip())
    statuses = ("accepted", "half-built", "skipped", "unchecked")
    lines = [f"{'resource type':38} " + " ".join(f"{s:>10}" for s in statuses) + "  notes"]
    for rtype in sorted(by_type):
        counts = by_type[rtype]
        verdict = max(statuses, key=lambda s: (counts[s], -statuses.index(s)))
        lines.append(
            f"{rtype:38} " + " ".join(f"{counts[s]:>10}" for s in statuses)
            + f"  [{verdict}] " + "; ".join(sorted(notes[rtype]))[:150]
        )  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    """``python -m tests.infra.emulator``: deploy to a fresh moto_server and print the table."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, moto_server(port) as endpoint:
        result = deploy(port, cdk_home=Path(tmp) / "cdk-home", outdir=Path(tmp) / "cdk.out")
        checks = verify(endpoint, Path(tmp) / "cdk.out")
        print(f"bootstrap {result.bootstrap_s:.1f} s, deploy {result.deploy_s:.1f} s (port {port})")
        print(summary_table(checks))
    sys.exit(0)


if __name__ == "__main__":
    main()
