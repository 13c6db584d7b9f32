"""The SNS topic every Gladiator alarm notifies."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.nag import acknowledge


class AlarmTopic(Construct):
    """SSL-only topic; CloudWatch alarms and EventBridge may publish; optional e-mail subscriber."""

    def __init__(
        self, scope: Construct, construct_id: str, *, topic_name: str, email: str | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self, "Topic", topic_name=topic_name, display_name="Gladiator alarms", enforce_ssl=True
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsAndEventsPublish",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
            )
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "Alarm notifications carry only alarm names and states; an encrypted topic would need a "
            "key policy for CloudWatch and EventBridge on a dedicated key for no data-protection gain.",
        )
