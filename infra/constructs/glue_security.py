"""The Glue security configuration: job output, logs and bookmarks encrypted with the data key."""

from __future__ import annotations

from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from constructs import Construct


class GlueSecurity(Construct):
    """SSE-KMS for S3 writes, KMS for CloudWatch logs, client-side KMS for job bookmarks."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.configuration = glue.SecurityConfiguration(
            self,
            "Configuration",
            security_configuration_name=name,
            s3_encryption=glue.S3Encryption.kms(key),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(key),
        )
