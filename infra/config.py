"""Deployment configuration read from ``cdk.json`` context (``gladiator:*`` keys).

Environments differ only by this configuration, passed from ``infra.app`` to the stacks; no
construct asks "which environment am I in". The ``local`` profile (``-c gladiator:profile=local``)
turns off what the moto emulator mishandles: tags on KMS keys (a 500 mid-change-set) and
cross-stack exports (moto resolves neither outputs nor ``Fn::ImportValue``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from gladiator import constants, resources

PROFILES = ("aws", "local")
LINEAGE_URL_ARGUMENT = "--lineage_url"


@dataclass(frozen=True, kw_only=True)
class InfraConfig:
    """Everything the stacks need to know about the target environment."""

    account: str
    region: str
    availability_zones: tuple[str, ...]
    prefix: str
    profile: str = "aws"
    # Pass the KMS key between stacks as an object (CloudFormation export) or by alias (local).
    cross_stack_references: bool = True
    tag_kms_keys: bool = True
    # MSK Serverless; off on emulators (moto skips the type, so references to it break the stack).
    managed_kafka: bool = True
    # pip-install the Lambda dependencies into the asset (needs PyPI, or a warm cache).
    bundle_lambda_dependencies: bool = False
    emr_serverless: bool = False
    # The catch-up for the batch trigger's maximum wait (gladiator.ingestion.trigger, 5 minutes).
    pipeline_schedule: str = "rate(5 minutes)"
    maintenance_schedule: str = "cron(0 3 * * ? *)"
    alarm_email: str | None = None
    # The OpenLineage HTTP endpoint run events go to (``gladiator:lineage_url``; empty: no lineage
    # on AWS). The landing Lambda gets it as GLADIATOR_LINEAGE_URL, every Glue job as --lineage_url.
    lineage_url: str | None = None

    @property
    def naming(self) -> resources.Naming:
        return resources.Naming(prefix=self.prefix)

    def name(self, logical: str) -> str:
        """Physical name of a regional resource (table, queue, rule, job...)."""
        return self.naming.physical(logical)

    def bucket_name(self, spec: resources.BucketSpec) -> str:
        """Bucket names are global: ``<prefix>-<logical>-<account>-<region>``."""
        return f"{self.naming.physical(spec.logical)}-{self.account}-{self.region}"

    def job_name(self, job: str) -> str:
        """Physical name of the Glue job ``glue_jobs/<job>.py``."""
        return self.name(job.replace("_", "-"))

    @property
    def landing_function_name(self) -> str:
        return self.name("on-landing-object")

    @property
    def state_machine_name(self) -> str:
        return self.name("pipeline")

    @property
    def batch_function_name(self) -> str:
        return self.name("batch-claim")

    @property
    def pipeline_executions_arn(self) -> str:
        """Every execution of the pipeline state machine (an ARN pattern)."""
        return f"arn:aws:states:{self.region}:{self.account}:execution:{self.state_machine_name}:*"

    @property
    def state_machine_arn(self) -> str:
        return f"arn:aws:states:{self.region}:{self.account}:stateMachine:{self.state_machine_name}"

    @property
    def warehouse_name(self) -> str:
        return self.name("warehouse")

    warehouse_database: str = "gladiator"

    @property
    def glue_database(self) -> str:
        return self.naming.glue_database()

    @property
    def key_alias(self) -> str:
        return f"alias/{self.prefix}-data"

    @classmethod
    def from_context(cls, scope: Construct) -> InfraConfig:
        """Read ``gladiator:*`` context keys; ``gladiator:profile`` picks the profile defaults."""

        def ctx(key: str, default: Any = None) -> Any:
            value = scope.node.try_get_context(f"gladiator:{key}")
            return default if value is None else value

        profile = str(ctx("profile", "aws"))
        if profile not in PROFILES:
            raise ValueError(f"gladiator:profile={profile!r}: use one of {PROFILES}")
        local = profile == "local"
        azs = ctx("availability_zones")
        if isinstance(azs, str):  # -c on the command line gives a string
            azs = [z.strip() for z in azs.split(",") if z.strip()]
        return cls(
            account=str(ctx("account")),
            region=str(ctx("region")),
            availability_zones=tuple(azs),
            prefix=str(ctx("prefix")),
            profile=profile,
            cross_stack_references=not local,
            tag_kms_keys=not local,
            managed_kafka=not local,
            bundle_lambda_dependencies=_flag(ctx("bundle_lambda_dependencies", False)),
            emr_serverless=_flag(ctx("emr_serverless", False)),
            pipeline_schedule=str(ctx("pipeline_schedule", cls.pipeline_schedule)),
            maintenance_schedule=str(ctx("maintenance_schedule", cls.maintenance_schedule)),
            alarm_email=ctx("alarm_email"),
            lineage_url=str(ctx("lineage_url", "")).strip() or None,
        )

    def lineage_environment(self) -> dict[str, str]:
        """GLADIATOR_LINEAGE_URL for a function, when an endpoint is configured."""
        return {constants.LINEAGE_URL: self.lineage_url} if self.lineage_url else {}

    def lineage_arguments(self) -> dict[str, str]:
        """``--lineage_url`` for a Glue job (Glue has no environment variables), when configured."""
        return {LINEAGE_URL_ARGUMENT: self.lineage_url} if self.lineage_url else {}


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
