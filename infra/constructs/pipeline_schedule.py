"""The EventBridge Scheduler schedule that starts the pipeline state machine."""

from __future__ import annotations

from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


class PipelineSchedule(Construct):
    """Starts ``state_machine`` on ``expression`` (e.g. ``rate(1 hour)``) with a batch id made of
    the scheduled time, so a retried invocation of the same tick names the same batch."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule_name: str,
        expression: str,
        state_machine: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule_name=schedule_name,
            description="Periodic pipeline run over the files validated since the last batch",
            schedule=scheduler.ScheduleExpression.expression(expression),
            target=targets.StepFunctionsStartExecution(
                state_machine,
                input=scheduler.ScheduleTargetInput.from_object(
                    {"batch_id": f"scheduled-{scheduler.ContextAttribute.scheduled_time}"}
                ),
                retry_attempts=2,
            ),
        )
