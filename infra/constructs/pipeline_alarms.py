"""The alarms of the pipeline: dead letters, Lambda errors, failed runs, streaming lag, freshness."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

STREAMING_LAG_LIMIT_MS = 5 * 60 * 1000


def glue_metric(metric_name: str, job_name: str, statistic: str = "Maximum") -> cloudwatch.Metric:
    """A Glue job metric aggregated over all runs (``JobRunId=ALL``)."""
    return cloudwatch.Metric(
        namespace="Glue",
        metric_name=metric_name,
        dimensions_map={"JobName": job_name, "JobRunId": "ALL", "Type": "gauge"},
        statistic=statistic,
        period=Duration.minutes(5),
    )


def notifying_alarm(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    metric: cloudwatch.IMetric,
    description: str,
    topic: sns.ITopic,
    **overrides: object,
) -> tuple[cloudwatch.Alarm, str]:
    """An alarm named ``name`` that notifies ``topic``, and its ARN built from the name (so a
    dashboard can show it without GetAtt). Defaults: >= 1 in one period, missing data is fine;
    ``overrides`` replace any of them (threshold, evaluation_periods, comparison_operator...)."""
    created = cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=name,
        metric=metric,
        alarm_description=description,
        **{  # type: ignore[arg-type]
            "threshold": 1,
            "evaluation_periods": 1,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING,
            **overrides,
        },
    )
    created.add_alarm_action(actions.SnsAction(topic))
    arn = Stack.of(scope).format_arn(
        service="cloudwatch", resource="alarm", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    return created, arn


class PipelineAlarms(Construct):
    """Every alarm notifies ``topic``. Resources are referenced by name/ARN, so this construct
    does not tie its stack to the producers' stacks.

    - ``dlq``: any message in the landing DLQ (a file event failed ``max_receive_count`` times);
    - ``lambda_errors``: landing Lambda errors;
    - ``pipeline_failed``: a failed/timed-out/aborted pipeline execution (a Glue job failed);
    - ``streaming_lag``: the streaming job's consumer lag over 5 minutes;
    - ``freshness``: no successful pipeline run in 24 h (missing data counts as stale).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        alarm_name_prefix: str,
        dlq_name: str,
        function_name: str,
        state_machine_arn: str,
        streaming_job_names: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        sfn_dims = {"StateMachineArn": state_machine_arn}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        # ARNs built from the (explicit) names, so a dashboard can show the alarms without GetAtt.
        self.alarm_arns: dict[str, str] = {}

        def alarm(key: str, metric: cloudwatch.IMetric, description: str, **kwargs: object) -> None:
            created, arn = notifying_alarm(
                self, key, name=f"{alarm_name_prefix}-{key}", metric=metric, description=description,
                topic=topic, **kwargs,
            )  # fmt: skip
            self.alarms[key] = created
            self.alarm_arns[key] = arn

        five_minutes = Duration.minutes(5)
        alarm(
            "DeadLetters",
            cloudwatch.Metric(
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions_map={"QueueName": dlq_name},
                statistic="Maximum",
                period=five_minutes,
            ),
            f"Landing events in {dlq_name}: redrive after fixing the cause.",
        )
        alarm(
            "LambdaErrors",
            cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="Errors",
                dimensions_map={"FunctionName": function_name},
                statistic="Sum",
                period=five_minutes,
            ),
            f"{function_name} raised errors (partial batch failures are retried, then dead-lettered).",
        )
        failed = cloudwatch.MathExpression(
            expression="failed + timedout + aborted",
            using_metrics={
                name.lower().replace("executions", ""): cloudwatch.Metric(
                    namespace="AWS/States",
                    metric_name=name,
                    dimensions_map=sfn_dims,
                    statistic="Sum",
                    period=five_minutes,
                )
                for name in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted")
            },
            label="failed pipeline runs",
            period=five_minutes,
        )
        alarm("PipelineFailed", failed, "A pipeline run failed: one of its Glue jobs failed or timed out.")
        for job_name in streaming_job_names:
            alarm(
                f"StreamingLag{job_name.title().replace('-', '').replace('_', '')}",
                glue_metric("glue.driver.streaming.maxConsumerLagInMs", job_name),
                f"{job_name} is more than {STREAMING_LAG_LIMIT_MS // 60000} minutes behind Kafka.",
                threshold=STREAMING_LAG_LIMIT_MS,
                evaluation_periods=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )
        alarm(
            "DataFreshness",
            cloudwatch.Metric(
                namespace="AWS/States",
                metric_name="ExecutionsSucceeded",
                dimensions_map=sfn_dims,
                statistic="Sum",
                period=Duration.hours(6),
            ),
            "No successful pipeline run in 24 hours: the lake and the warehouse are stale.",
            threshold=1,
            evaluation_periods=4,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
