"""EventBridge rule: Glue job runs that end FAILED, TIMEOUT or ERROR notify the alarm topic."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sns as sns
from constructs import Construct


class GlueFailureEvents(Construct):
    """Catches failures of every job, including runs started outside the pipeline (maintenance
    trigger, streaming restarts), which the state machine metrics do not see."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rule_name: str,
        job_names: Sequence[str],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=rule_name,
            description="Gladiator Glue job runs that failed",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={"jobName": list(job_names), "state": ["FAILED", "TIMEOUT", "ERROR"]},
            ),
            targets=[targets.SnsTopic(topic)],
        )
