"""The IAM role Redshift assumes to COPY gold data from the lake."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct


class CopyRole(Construct):
    """Assumable by Redshift (provisioned and serverless); the stack grants it read access to the
    lake's gold layer and the manifests."""

    def __init__(self, scope: Construct, construct_id: str, *, description: str) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("redshift.amazonaws.com"),
                iam.ServicePrincipal("redshift-serverless.amazonaws.com"),
            ),
            description=description,
        )
