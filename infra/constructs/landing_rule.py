"""The EventBridge rule that routes S3 'Object Created' events of the landing bucket to a queue."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from gladiator import resources


class LandingRule(Construct):
    """A default-bus rule built from an ``EventRuleSpec`` with the pattern the local provisioner
    uses (``resources.object_created_pattern``); the target adds the queue policy for
    events.amazonaws.com, scoped to this rule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: resources.EventRuleSpec,
        rule_name: str,
        bucket_name: str,
        queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        pattern = resources.object_created_pattern(bucket_name, spec.detail_types)
        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=rule_name,
            description=f"S3 {', '.join(spec.detail_types)} in {bucket_name} -> {spec.target_queue}",
            event_pattern=events.EventPattern(
                source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
            ),
            targets=[targets.SqsQueue(queue)],
        )
