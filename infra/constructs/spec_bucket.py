"""One S3 bucket built from a ``gladiator.resources.BucketSpec``."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from gladiator import resources


def lifecycle_rules(spec: resources.BucketSpec) -> list[s3.LifecycleRule]:
    """The spec's lifecycle rules as CDK rules (same IDs as the local provisioner)."""
    rules = []
    for index, rule in enumerate(spec.lifecycle):
        rules.append(
            s3.LifecycleRule(
                id=f"rule-{index}",
                prefix=rule.prefix or None,
                expiration=Duration.days(rule.expire_days) if rule.expire_days else None,
                noncurrent_version_expiration=(
                    Duration.days(rule.noncurrent_expire_days) if rule.noncurrent_expire_days else None
                ),
                abort_incomplete_multipart_upload_after=(
                    Duration.days(rule.abort_multipart_days) if rule.abort_multipart_days else None
                ),
            )
        )
    return rules


class SpecBucket(Construct):
    """A private, SSL-only bucket: versioning and lifecycle from the spec, KMS encryption when a
    key is given (else SSE-S3, which S3 server access logging requires of its target bucket),
    access logs to ``access_logs``, and EventBridge notifications when ``spec.event_bridge``.

    EventBridge delivery is switched on with the bucket's own ``NotificationConfiguration``
    property rather than CDK's notifications custom resource: no helper Lambda to deploy, audit
    or (on an emulator) silently skip.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: resources.BucketSpec,
        bucket_name: str,
        encryption_key: kms.IKey | None = None,
        access_logs: s3.IBucket | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=spec.versioned,
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=bool(encryption_key),
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=lifecycle_rules(spec),
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f"{spec.logical}/" if access_logs else None,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if spec.event_bridge:
            cfn = self.bucket.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                    event_bridge_enabled=True
                )
            )
