"""The IAM role Glue jobs run as: Glue's own needs, scoped; data access comes from grants."""

from __future__ import annotations

from aws_cdk import Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.nag import acknowledge_resources, cdk_assets_objects

CATALOG_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTable",
    "glue:GetTables",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
]


class GlueJobRole(Construct):
    """A role for ``glue.amazonaws.com`` with, instead of the AWSGlueServiceRole managed policy:
    logs in ``/aws-glue/*``, metrics in the ``Glue`` namespace, and the catalog actions Delta
    registration needs on ``database_name`` only."""

    def __init__(self, scope: Construct, construct_id: str, *, database_name: str, description: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"), description=description
        )
        log_groups = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws-glue/*"
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="GlueLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:AssociateKmsKey",
                ],
                resources=[log_groups, f"{log_groups}:*"],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="GlueMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": ["Glue", "Gladiator"]}},
            )
        )
        catalog = f"arn:{stack.partition}:glue:{stack.region}:{stack.account}"
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="GlueCatalogOfTheLakeDatabase",
                actions=CATALOG_ACTIONS,
                resources=[
                    f"{catalog}:catalog",
                    f"{catalog}:database/{database_name}",
                    f"{catalog}:table/{database_name}/*",
                ],
            )
        )
        region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        prefix = f"arn:<AWS::Partition>:logs:{region}:{account}:log-group:/aws-glue/*"
        acknowledge_resources(
            self.role,
            {
                "*": "cloudwatch:PutMetricData has no resource type; limited by the cloudwatch:namespace condition.",
                prefix: "Glue names its log groups per job run under /aws-glue/.",
                f"{prefix}:*": "Log streams of the /aws-glue/ log groups.",
                f"arn:<AWS::Partition>:glue:{region}:{account}:table/{database_name}/*": (
                    "Jobs create and update the lake's Delta tables, which exist only at run time, in this one database."
                ),
                cdk_assets_objects(account, region): (
                    "Glue reads its script and the shared library zip from the CDK asset bucket "
                    "(content-hashed keys, read-only)."
                ),
            },
        )
