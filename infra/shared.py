"""References to resources of another stack, by name.

Buckets, tables and queues have deterministic physical names (``gladiator.resources`` + the
context prefix), so a consuming stack imports them by name instead of through CloudFormation
exports: no export lock-in between stacks, and the same templates deploy on emulators that do
not resolve exports. The stacks declare their deploy order with ``add_dependency``.

The KMS key's ARN is not deterministic: with ``cross_stack_references`` the key object itself is
passed (one export); without (``local`` profile) it is referenced through its alias, whose grants
add nothing (acceptable on an emulator, which does not enforce IAM).
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from gladiator import resources
from infra.config import InfraConfig


def data_key(scope: Construct, *, config: InfraConfig, key: kms.IKey | None) -> kms.IKey:
    """The data key in ``scope``'s stack: ``key`` itself, or its alias when none is passed."""
    if key is not None:
        return key
    existing = scope.node.try_find_child("DataKeyAlias")
    if existing is not None:
        return existing  # type: ignore[return-value]
    return kms.Alias.from_alias_name(scope, "DataKeyAlias", config.key_alias)


def bucket(scope: Construct, spec: resources.BucketSpec, *, config: InfraConfig, key: kms.IKey) -> s3.IBucket:
    """The bucket of ``spec``, imported by name, with its encryption key (for the KMS grants)."""
    construct_id = f"{spec.logical.title().replace('-', '')}Bucket"
    existing = scope.node.try_find_child(construct_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return s3.Bucket.from_bucket_attributes(
        scope,
        construct_id,
        bucket_name=config.bucket_name(spec),
        encryption_key=None if spec is resources.ACCESS_LOGS else key,
    )


def table(
    scope: Construct, spec: resources.TableSpec, *, config: InfraConfig, key: kms.IKey
) -> dynamodb.ITable:
    """The table of ``spec``, imported by name with its GSIs (so grants cover the indexes)."""
    construct_id = f"{spec.logical.title().replace('-', '')}Table"
    existing = scope.node.try_find_child(construct_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return dynamodb.Table.from_table_attributes(
        scope,
        construct_id,
        table_name=config.name(spec.logical),
        encryption_key=key,
        global_indexes=[index.name for index in spec.indexes] or None,
    )
