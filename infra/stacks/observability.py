"""Observability: the alarm topic, the alarms, Glue failure events and the dashboard."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from gladiator import pipeline, resources
from gladiator.contracts import CONTRACTS
from infra.config import InfraConfig
from infra.constructs.alarm_topic import AlarmTopic
from infra.constructs.glue_failure_events import GlueFailureEvents
from infra.constructs.pipeline_alarms import PipelineAlarms
from infra.constructs.pipeline_dashboard import PipelineDashboard
from infra.constructs.quality_alarms import QualityAlarms


class ObservabilityStack(Stack):
    """Built from names only (``InfraConfig``), so it can be deployed, changed or destroyed
    without touching the stacks it watches."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        queue = resources.LANDING_EVENTS
        batch_jobs = [config.job_name(j.name) for s in pipeline.PIPELINE for j in s.jobs]
        batch_jobs += [config.job_name(j.name) for j in pipeline.SCHEDULED_JOBS]
        streaming_jobs = [config.job_name(j.name) for j in pipeline.STREAMING_JOBS]
        self.topic = AlarmTopic(
            self, "AlarmTopic", topic_name=config.name("alarms"), email=config.alarm_email
        ).topic
        self.alarms = PipelineAlarms(
            self,
            "Alarms",
            topic=self.topic,
            alarm_name_prefix=config.prefix,
            dlq_name=config.name(queue.dlq_logical),
            function_name=config.landing_function_name,
            state_machine_arn=config.state_machine_arn,
            streaming_job_names=streaming_jobs,
        )
        self.quality_alarms = QualityAlarms(
            self,
            "QualityAlarms",
            topic=self.topic,
            alarm_name_prefix=config.prefix,
            contracts=list(CONTRACTS.values()),
        )
        GlueFailureEvents(
            self,
            "GlueFailures",
            rule_name=config.name("glue-job-failed"),
            job_names=batch_jobs + streaming_jobs,
            topic=self.topic,
        )
        PipelineDashboard(
            self,
            "Dashboard",
            dashboard_name=config.name("pipeline"),
            queue_name=config.name(queue.logical),
            dlq_name=config.name(queue.dlq_logical),
            function_name=config.landing_function_name,
            state_machine_arn=config.state_machine_arn,
            batch_job_names=batch_jobs,
            streaming_job_names=streaming_jobs,
            alarm_arns=[*self.alarms.alarm_arns.values(), *self.quality_alarms.alarm_arns.values()],
        )
