"""The Step Functions state machine rendered from ``gladiator.pipeline.PIPELINE``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from gladiator.pipeline import Stage
from infra.constructs.glue_job import usable_arguments
from infra.nag import acknowledge

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render_argument(value: str) -> str:
    """``"{batch_id}"`` -> the execution input's ``$.batch_id``; literals stay literal."""
    names = _PLACEHOLDER.findall(value)
    if not names:
        return value
    if _PLACEHOLDER.fullmatch(value):
        return sfn.JsonPath.string_at(f"$.{names[0]}")
    return sfn.JsonPath.format(
        _PLACEHOLDER.sub("{}", value), *(sfn.JsonPath.string_at(f"$.{name}") for name in names)
    )


def state_id(text: str) -> str:
    return "".join(part.title() for part in re.split(r"[^0-9A-Za-z]+", text) if part)


class PipelineStateMachine(Construct):
    """Stages run in order; the jobs of a stage run in one Parallel state, each as a
    ``glue:startJobRun.sync`` task whose run arguments are the job's spec arguments with the
    ``{placeholders}`` taken from the execution input (e.g. ``{"batch_id": "..."}``).

    The execution name is the caller's job (``pipeline.execution_name``): starting a batch twice
    runs it once.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        stages: Sequence[Stage],
        job_names: Mapping[str, str],
        timeout_hours: int = 6,
    ) -> None:
        super().__init__(scope, construct_id)
        chain: sfn.IChainable | None = None
        for stage in stages:
            parallel = sfn.Parallel(
                self,
                f"Stage{state_id(stage.name)}",
                state_name=f"stage: {stage.name}",
                result_path=sfn.JsonPath.DISCARD,
            )
            for job in stage.jobs:
                parallel.branch(
                    tasks.GlueStartJobRun(
                        self,
                        f"Run{state_id(job.name)}",
                        state_name=f"run: {job.name}",
                        glue_job_name=job_names[job.name],
                        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
                        arguments=sfn.TaskInput.from_object(
                            {
                                key: render_argument(value)
                                for key, value in usable_arguments(job.name, job.arguments).items()
                            }
                        ),
                        result_path=sfn.JsonPath.DISCARD,
                    )
                )
            chain = parallel if chain is None else chain.next(parallel)  # type: ignore[attr-defined]
        if chain is None:
            raise ValueError("the pipeline has no stages")
        chain = chain.next(sfn.Succeed(self, "Done", state_name="pipeline done"))  # type: ignore[attr-defined]
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
            definition_body=sfn.DefinitionBody.from_chainable(chain),
            timeout=Duration.hours(timeout_hours),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
        )
        acknowledge(
            self.state_machine.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray segments and CloudWatch Logs delivery (logs:CreateLogDelivery etc.) take no resource ARN.",
        )
