"""An SQS queue and its dead-letter queue, built from a ``gladiator.resources.QueueSpec``."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from gladiator import resources
from infra.nag import acknowledge


class QueueWithDlq(Construct):
    """SSE-SQS encrypted, SSL-only queue that moves a message to the DLQ after
    ``spec.max_receive_count`` receives.

    SQS-managed encryption rather than the data key: EventBridge (the producer) would otherwise
    need a key-policy grant, and the messages carry only S3 event metadata.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: resources.QueueSpec,
        queue_name: str,
        dlq_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.dlq = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=dlq_name,
            retention_period=Duration.seconds(spec.dlq_retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        acknowledge(self.dlq, "AwsSolutions-SQS3", "This queue is itself the dead-letter queue.")
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=queue_name,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            retention_period=Duration.seconds(spec.retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=spec.max_receive_count),
        )
