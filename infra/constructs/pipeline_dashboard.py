"""The CloudWatch dashboard: one page from file drop to warehouse."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra.constructs.pipeline_alarms import glue_metric


class PipelineDashboard(Construct):
    """Rows: ingestion (queue depth, DLQ, Lambda), pipeline runs, Glue jobs, streaming, alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        queue_name: str,
        dlq_name: str,
        function_name: str,
        state_machine_arn: str,
        batch_job_names: Sequence[str],
        streaming_job_names: Sequence[str],
        alarm_arns: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        period = Duration.minutes(5)

        def metric(
            namespace: str, name: str, dims: dict[str, str], statistic: str = "Sum"
        ) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace, metric_name=name, dimensions_map=dims, statistic=statistic, period=period
            )

        queue = {"QueueName": queue_name}
        function = {"FunctionName": function_name}
        sfn = {"StateMachineArn": state_machine_arn}
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Landing events queue",
                left=[
                    metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum"),
                    metric("AWS/SQS", "ApproximateAgeOfOldestMessage", queue, "Maximum"),
                ],
                right=[
                    metric(
                        "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": dlq_name}, "Maximum"
                    )
                ],
            ),
            cloudwatch.GraphWidget(
                title="Landing Lambda",
                left=[metric("AWS/Lambda", n, function) for n in ("Invocations", "Errors", "Throttles")],
                right=[metric("AWS/Lambda", "Duration", function, "p99")],
            ),
            cloudwatch.GraphWidget(
                title="Pipeline runs",
                left=[
                    metric("AWS/States", n, sfn)
                    for n in (
                        "ExecutionsStarted",
                        "ExecutionsSucceeded",
                        "ExecutionsFailed",
                        "ExecutionsTimedOut",
                    )
                ],
                right=[metric("AWS/States", "ExecutionTime", sfn, "Maximum")],
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Glue jobs: elapsed time (ms)",
                left=[glue_metric("glue.driver.aggregate.elapsedTime", name) for name in batch_job_names],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Streaming: consumer lag (ms) and records",
                left=[
                    glue_metric("glue.driver.streaming.maxConsumerLagInMs", n) for n in streaming_job_names
                ],
                right=[
                    glue_metric("glue.driver.streaming.numRecords", n, "Sum") for n in streaming_job_names
                ],
                width=12,
            ),
        )
        alarms = [cloudwatch.Alarm.from_alarm_arn(self, f"Alarm{i}", arn) for i, arn in enumerate(alarm_arns)]
        self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24))
