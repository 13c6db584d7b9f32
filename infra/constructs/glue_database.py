"""The Glue Data Catalog database that registers every Delta table of the lake."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_glue as glue
from constructs import Construct


class GlueDatabase(Construct):
    """One catalog database (same name the local provisioner creates), located at the lake root."""

    def __init__(self, scope: Construct, construct_id: str, *, database_name: str, location_uri: str) -> None:
        super().__init__(scope, construct_id)
        self.database_name = database_name
        self.database = glue.Database(
            self,
            "Database",
            database_name=database_name,
            description="Gladiator lakehouse (Delta tables: bronze, silver, gold)",
            location_uri=location_uri,
            removal_policy=RemovalPolicy.RETAIN,
        )
