"""cdk-nag (3.x) wiring: the AwsSolutions pack as a policy-validation plugin, and acknowledgements.

Acknowledgements use full finding IDs (e.g. ``AwsSolutions-IAM5[Resource::*]``) and always carry
a written reason; they are attached to the narrowest construct that causes the finding.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on ``scope`` (and its children), with the reason why."""
    if not reason.strip():
        raise ValueError(f"acknowledging {finding_id} needs a reason")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding_id, reason=reason))


def add_aws_solutions_checks(app: cdk.App) -> None:
    """Run the AwsSolutions pack on every stack at synth time (findings fail the synth)."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


# The action groups CDK's grant_* methods emit, and why each is acceptable.
GRANT_ACTION_REASONS = {
    "s3:GetObject*": "grant_read: GetObject plus its Version/Acl/Tagging variants, on one bucket's objects.",
    "s3:GetBucket*": "grant_read: bucket metadata (location, versioning) of one bucket.",
    "s3:List*": "grant_read: listing one bucket (Spark and Delta list prefixes).",
    "s3:DeleteObject*": "grant_read_write: Delta VACUUM/overwrites delete objects (and versions) in one bucket.",
    "s3:Abort*": "grant_put/grant_write: abort multipart uploads of large files in one bucket.",
    "kms:GenerateDataKey*": "Grant on the data key: data keys for SSE-KMS writes, this key only.",
    "kms:ReEncrypt*": "Grant on the data key: re-encryption within this key only (S3 copy/rewrite).",
}


def acknowledge_grant_actions(scope: IConstruct, actions: list[str]) -> None:
    """Acknowledge IAM5 for the wildcard action groups CDK's own ``grant_*`` methods produce."""
    for action in actions:
        acknowledge(scope, f"AwsSolutions-IAM5[Action::{action}]", GRANT_ACTION_REASONS[action])


def acknowledge_resources(scope: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge IAM5 wildcard resources (as cdk-nag prints them, ``<AWS::Partition>`` etc.)."""
    for resource, reason in reasons.items():
        acknowledge(scope, f"AwsSolutions-IAM5[Resource::{resource}]", reason)


def objects_of(bucket_name: str, prefix: str = "") -> str:
    """How cdk-nag prints the object ARN pattern of a bucket (prefix)."""
    return f"arn:<AWS::Partition>:s3:::{bucket_name}/{prefix}*"


def table_indexes(region: str, account: str, table_name: str) -> str:
    return f"arn:<AWS::Partition>:dynamodb:{region}:{account}:table/{table_name}/index/*"


def cdk_assets_objects(account: str, region: str) -> str:
    return f"arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-{account}-{region}/*"
