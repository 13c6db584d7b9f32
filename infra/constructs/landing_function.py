"""The Python Lambda functions: one folder of ``lambdas/`` plus the shared ``gladiator`` package.

``PythonFunction`` is any of them; ``LandingFunction`` adds the landing queue as its event source.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, AssetHashType, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import PythonLocalBundling, bundling_options
from infra.nag import acknowledge

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
LAMBDA_DIR = REPO_ROOT / "lambdas" / "on_landing_object"
BATCH_LAMBDA_DIR = REPO_ROOT / "lambdas" / "batch_claim"
SHARED_PACKAGE = REPO_ROOT / "gladiator"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
MISSING_STUB = (
    '"""Placeholder: lambdas/on_landing_object did not exist when this asset was synthesized."""\n\n\n'
    "def handler(event, context):\n"
    '    raise RuntimeError("lambdas/on_landing_object was missing at synth time: re-run cdk deploy")\n'
)


def default_requirements() -> str:
    """Powertools with the version pinned in constraints.txt (boto3 comes with the runtime)."""
    pins: dict[str, str] = {}
    if CONSTRAINTS.exists():
        for line in CONSTRAINTS.read_text().splitlines():
            name, _, pinned = line.partition("==")
            pins[name.strip().lower().replace("_", "-")] = pinned.strip()
    version = pins.get("aws-lambda-powertools")
    xray = pins.get("aws-xray-sdk")
    lines = [f"aws-lambda-powertools[tracer]{'==' + version if version else ''}"]
    if xray:
        lines.append(f"aws-xray-sdk=={xray}")
    return "\n".join(lines) + "\n"


class PythonFunction(Construct):
    """Python 3.11 function ``app.handler`` from ``source_dir`` (a ``lambdas/`` folder) plus the
    shared ``gladiator`` package, traced, with its own role and a log group with a retention.

    The role is explicit (no AWS managed policy): the stack grants what the function touches.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        environment: Mapping[str, str],
        reserved_concurrency: int = 5,
        timeout_s: int = 30,
        memory_mb: int = 512,
        install_dependencies: bool = False,
        source_dir: Path = LAMBDA_DIR,
    ) -> None:
        super().__init__(scope, construct_id)
        requirements_file = source_dir / "requirements.txt"
        requirements = requirements_file.read_text() if requirements_file.exists() else default_requirements()
        bundler = PythonLocalBundling(
            entry=source_dir,
            packages=[SHARED_PACKAGE],
            requirements=requirements,
            install_dependencies=install_dependencies,
            stub=MISSING_STUB,
        )
        if not source_dir.exists():
            Annotations.of(self).add_warning_v2(
                "gladiator:lambda-source-missing",
                f"{source_dir} does not exist: the asset holds a stub handler that raises.",
            )
        if not install_dependencies:
            Annotations.of(self).add_warning_v2(
                "gladiator:lambda-deps-not-bundled",
                "Lambda dependencies are not bundled (offline synth). Deploy with "
                "-c gladiator:bundle_lambda_dependencies=true (see docs/deploy.md).",
            )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{function_name}: logs, plus what the stack grants",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=lambda_.Architecture.X86_64,
            handler="app.handler",
            code=lambda_.Code.from_asset(
                str(source_dir if source_dir.exists() else Path(__file__).parent),
                asset_hash=bundler.asset_hash(),
                asset_hash_type=AssetHashType.CUSTOM,
                bundling=bundling_options(bundler),
            ),
            role=self.role,
            timeout=Duration.seconds(timeout_s),
            memory_size=memory_mb,
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            environment=dict(environment),
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.11 on purpose: the shared gladiator package targets 3.11, the Glue 5.1 runtime.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )


class LandingFunction(PythonFunction):
    """The landing Lambda (``lambdas/on_landing_object``), fed by ``queue`` in batches with
    partial-batch failure reporting."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue: sqs.IQueue,
        batch_size: int = 10,
        max_batching_window_s: int = 5,
        **props: Any,
    ) -> None:
        super().__init__(scope, construct_id, **props)
        self.function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=batch_size,
                max_batching_window=Duration.seconds(max_batching_window_s),
                report_batch_item_failures=True,
            )
        )
