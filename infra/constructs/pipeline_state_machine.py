"""The Step Functions state machine: the ASL document of ``gladiator.pipeline``, deployed as is."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from gladiator.pipeline import JobSpec, Stage, state_machine_definition
from infra.constructs.glue_job import usable_arguments
from infra.nag import acknowledge


class PipelineStateMachine(Construct):
    """claim (the batch Lambda) -> empty batch? -> one Parallel per stage of ``glue:startJobRun.sync``
    tasks -> finish; a failed stage -> release -> Fail.

    The definition is ``gladiator.pipeline.state_machine_definition``, the same document the local
    runner interprets, so what is tested locally is what is deployed. The role may invoke the
    batch function and run (and stop) exactly the pipeline's Glue jobs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        stages: Sequence[Stage],
        job_names: Mapping[str, str],
        batch_function: lambda_.IFunction,
        backfill: JobSpec | None = None,
        timeout_hours: int = 6,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        def arguments(job: JobSpec) -> Mapping[str, str]:
            return usable_arguments(job.name, job.arguments)

        definition = state_machine_definition(
            job_names=job_names,
            batch_function=batch_function.function_arn,
            stages=tuple(stages),
            job_arguments=arguments,
            backfill=backfill,
        )
        definition["TimeoutSeconds"] = timeout_hours * 3600
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{state_machine_name}",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            # json.dumps, not Stack.to_json_string: that one drops nulls, and "ResultPath": null
            # (keep the state, discard the result) is what passes $.batch_id from stage to stage.
            # The function ARN token sits inside a string, which CDK resolves (Fn::Join).
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition)),
            timeout=Duration.hours(timeout_hours),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
        )
        batch_function.grant_invoke(self.state_machine)
        job_arns = [
            stack.format_arn(service="glue", resource="job", resource_name=name)
            for stage in stages
            for name in sorted(job_names[job.name] for job in stage.jobs)
        ] + (
            [stack.format_arn(service="glue", resource="job", resource_name=job_names[backfill.name])]
            if backfill
            else []
        )
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="RunPipelineGlueJobs",
                actions=["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
                resources=job_arns,
            )
        )
        acknowledge(
            self.state_machine.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray segments and CloudWatch Logs delivery (logs:CreateLogDelivery etc.) take no resource ARN.",
        )
        acknowledge(
            self.state_machine.role,
            f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(batch_function.node.default_child)}.Arn>:*]",  # type: ignore[arg-type]
            "grant_invoke: the batch function and its versions/aliases, this function only.",
        )
