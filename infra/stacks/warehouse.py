"""Warehouse: Redshift Serverless namespace and workgroup, and the COPY role."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from gladiator import resources
from infra import shared
from infra.config import InfraConfig
from infra.constructs.copy_role import CopyRole
from infra.constructs.redshift_serverless import RedshiftServerless
from infra.nag import acknowledge_grant_actions, acknowledge_resources, objects_of


class WarehouseStack(Stack):
    """The COPY role may read the lake's gold layer (manifest COPY) and the assets bucket
    (manifests), nothing else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: InfraConfig,
        key: kms.IKey | None,
        vpc: ec2.IVpc | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_key = shared.data_key(self, config=config, key=key)
        lake = shared.bucket(self, resources.LAKE, config=config, key=data_key)
        assets = shared.bucket(self, resources.ASSETS, config=config, key=data_key)
        copy_role = CopyRole(self, "CopyRole", description="Redshift COPY from the gold layer").role
        lake.grant_read(copy_role, "gold/*")
        assets.grant_read(copy_role, "manifests/*")
        acknowledge_grant_actions(copy_role, ["s3:GetObject*", "s3:GetBucket*", "s3:List*"])
        acknowledge_resources(
            copy_role,
            {
                objects_of(
                    lake.bucket_name, "gold/"
                ): "COPY reads the gold Delta files listed in a manifest.",
                objects_of(assets.bucket_name, "manifests/"): "COPY reads its manifests.",
            },
        )
        self.warehouse = RedshiftServerless(
            self,
            "Redshift",
            namespace_name=config.warehouse_name,
            workgroup_name=config.warehouse_name,
            database_name=config.warehouse_database,
            key=data_key,
            copy_role=copy_role,
            vpc=vpc,
        )
        Tags.of(self.warehouse).add("warehouse", config.warehouse_name)
