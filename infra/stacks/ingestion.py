"""Ingestion: landing bucket events -> EventBridge rule -> SQS (+DLQ) -> the landing Lambda,
which may start the pipeline state machine (the batch trigger)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from gladiator import constants, resources
from infra import shared
from infra.config import InfraConfig
from infra.constructs.landing_function import LandingFunction
from infra.constructs.landing_rule import LandingRule
from infra.constructs.pipeline_access import allow_pipeline_starts, batch_environment
from infra.constructs.queue_with_dlq import QueueWithDlq
from infra.nag import acknowledge_grant_actions, acknowledge_resources, objects_of, table_indexes


class LandingIngestionStack(Stack):
    """Wires the queue, the rule and the function, and grants the function exactly what it
    touches: read the landing bucket, write quarantine, read/write ledger and idempotency."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: InfraConfig, key: kms.IKey | None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_key = shared.data_key(self, config=config, key=key)
        landing = shared.bucket(self, resources.LANDING, config=config, key=data_key)
        quarantine = shared.bucket(self, resources.QUARANTINE, config=config, key=data_key)
        ledger = shared.table(self, resources.LEDGER, config=config, key=data_key)
        job_state = shared.table(self, resources.JOB_STATE, config=config, key=data_key)
        idempotency = shared.table(self, resources.IDEMPOTENCY, config=config, key=data_key)

        spec = resources.LANDING_EVENTS
        self.queues = QueueWithDlq(
            self,
            "LandingEvents",
            spec=spec,
            queue_name=config.name(spec.logical),
            dlq_name=config.name(spec.dlq_logical),
        )
        rule_spec = resources.LANDING_OBJECT_CREATED
        LandingRule(
            self,
            "LandingObjectCreated",
            spec=rule_spec,
            rule_name=config.name(rule_spec.logical),
            bucket_name=landing.bucket_name,
            queue=self.queues.queue,
        )
        self.landing = LandingFunction(
            self,
            "OnLandingObject",
            function_name=config.landing_function_name,
            queue=self.queues.queue,
            install_dependencies=config.bundle_lambda_dependencies,
            environment={
                constants.PROFILE: "aws",
                constants.STACK_PREFIX: config.prefix,
                constants.LANDING_BUCKET: landing.bucket_name,
                constants.QUARANTINE_BUCKET: quarantine.bucket_name,
                constants.LAKE_BUCKET: config.bucket_name(resources.LAKE),
                **batch_environment(config),
                constants.IDEMPOTENCY_TABLE: idempotency.table_name,
                **config.lineage_environment(),
                "POWERTOOLS_SERVICE_NAME": "on_landing_object",
                "POWERTOOLS_METRICS_NAMESPACE": "Gladiator",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        function = self.landing.function
        landing.grant_read(function)
        quarantine.grant_put(function)
        ledger.grant_read_write_data(function)
        idempotency.grant_read_write_data(function)
        job_state.grant_read_data(function)  # the batch trigger reads the pipeline lock
        allow_pipeline_starts(self.landing.role, config)
        acknowledge_grant_actions(
            self.landing.role,
            [
                "s3:GetObject*",
                "s3:GetBucket*",
                "s3:List*",
                "s3:Abort*",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
        )
        acknowledge_resources(
            self.landing.role,
            {
                objects_of(
                    landing.bucket_name
                ): "Reads any landing file: every object is an ingestion event.",
                objects_of(quarantine.bucket_name): "Writes rejected files under their entity/reason prefix.",
                table_indexes(
                    self.region, self.account, ledger.table_name
                ): "Queries the ledger GSIs (by_state, by_batch).",
            },
        )
