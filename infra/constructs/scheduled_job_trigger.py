"""A Glue scheduled trigger for a job outside the pipeline (e.g. table maintenance)."""

from __future__ import annotations

from aws_cdk import aws_glue as glue
from constructs import Construct


class ScheduledJobTrigger(Construct):
    """Runs ``job_name`` on a cron ``expression``; a native Glue trigger needs no IAM role."""

    def __init__(
        self, scope: Construct, construct_id: str, *, trigger_name: str, job_name: str, expression: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.trigger = glue.CfnTrigger(
            self,
            "Trigger",
            name=trigger_name,
            type="SCHEDULED",
            schedule=expression,
            start_on_creation=True,
            actions=[glue.CfnTrigger.ActionProperty(job_name=job_name)],
        )
