"""State: every DynamoDB table of ``gladiator.resources.TABLES``."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from gladiator import resources
from infra import shared
from infra.config import InfraConfig
from infra.constructs.spec_table import SpecTable


class StateStack(Stack):
    """Ledger, job state, idempotency and live-KPI tables: on demand, PITR, the data key."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: InfraConfig, key: kms.IKey | None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_key = shared.data_key(self, config=config, key=key)
        self.tables: dict[str, dynamodb.ITable] = {
            spec.logical: SpecTable(
                self,
                spec.logical.title().replace("-", ""),
                spec=spec,
                table_name=config.name(spec.logical),
                encryption_key=data_key,
            ).table
            for spec in resources.TABLES
        }
