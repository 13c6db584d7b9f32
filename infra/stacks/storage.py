"""Storage: the data key and every bucket of ``gladiator.resources.BUCKETS``."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from gladiator import resources
from infra.config import InfraConfig
from infra.constructs.data_key import DataKey
from infra.constructs.spec_bucket import SpecBucket
from infra.nag import acknowledge


class StorageStack(Stack):
    """KMS key; access-log bucket first (SSE-S3, the only encryption log delivery supports),
    then the other buckets, KMS-encrypted and logging into it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.key = DataKey(self, "DataKey", alias=config.key_alias).key
        access_logs = SpecBucket(
            self,
            "AccessLogs",
            spec=resources.ACCESS_LOGS,
            bucket_name=config.bucket_name(resources.ACCESS_LOGS),
        )
        acknowledge(
            access_logs.bucket,
            "AwsSolutions-S1",
            "This is the server access log target; logging it into itself would loop.",
        )
        self.buckets: dict[str, s3.IBucket] = {resources.ACCESS_LOGS.logical: access_logs.bucket}
        for spec in resources.BUCKETS:
            if spec is resources.ACCESS_LOGS:
                continue
            self.buckets[spec.logical] = SpecBucket(
                self,
                spec.logical.title().replace("-", ""),
                spec=spec,
                bucket_name=config.bucket_name(spec),
                encryption_key=self.key,
                access_logs=access_logs.bucket,
            ).bucket
