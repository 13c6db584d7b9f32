"""Redshift Serverless: the warehouse namespace and workgroup."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_redshiftserverless as redshift
from constructs import Construct


class RedshiftServerless(Construct):
    """Namespace encrypted with the data key, its admin password generated and rotated by Redshift
    in Secrets Manager (``manage_admin_password``: no password in the template or in code), the
    COPY role attached as default; a private workgroup with enhanced VPC routing.

    Without a VPC (emulator profile) the workgroup takes the account's default subnets.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace_name: str,
        workgroup_name: str,
        database_name: str,
        key: kms.IKey,
        copy_role: iam.IRole,
        vpc: ec2.IVpc | None,
        base_capacity_rpu: int = 8,
    ) -> None:
        super().__init__(scope, construct_id)
        self.namespace = redshift.CfnNamespace(
            self,
            "Namespace",
            namespace_name=namespace_name,
            db_name=database_name,
            admin_username="gladiator_admin",
            manage_admin_password=True,
            admin_password_secret_kms_key_id=key.key_arn,
            kms_key_id=key.key_arn,
            iam_roles=[copy_role.role_arn],
            default_iam_role_arn=copy_role.role_arn,
            log_exports=["userlog", "connectionlog", "useractivitylog"],
        )
        network: dict[str, Sequence[str]] = {}
        if vpc is not None:
            self.security_group: ec2.SecurityGroup | None = ec2.SecurityGroup(
                self,
                "SecurityGroup",
                vpc=vpc,
                description=f"{workgroup_name} endpoint",
                allow_all_outbound=False,
            )
            network = {
                "subnet_ids": vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids,
                "security_group_ids": [self.security_group.security_group_id],
            }
        else:
            self.security_group = None
        self.workgroup = redshift.CfnWorkgroup(
            self,
            "Workgroup",
            workgroup_name=workgroup_name,
            namespace_name=namespace_name,
            base_capacity=base_capacity_rpu,
            publicly_accessible=False,
            enhanced_vpc_routing=True,
            **network,  # type: ignore[arg-type]
        )
        self.workgroup.node.add_dependency(self.namespace)
        self.database_name = database_name
        self.workgroup_name = workgroup_name
