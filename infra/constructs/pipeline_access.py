"""What a function needs to claim batches and start pipeline runs: its environment and IAM."""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from gladiator import constants, resources
from gladiator.ingestion.trigger import ENV_STATE_MACHINE_ARN, BatchTrigger
from infra.config import InfraConfig


def batch_environment(config: InfraConfig, trigger: BatchTrigger | None = None) -> dict[str, str]:
    """What the batch Lambda and the landing Lambda need to claim and to start runs."""
    return {
        constants.PROFILE: "aws",
        constants.STACK_PREFIX: config.prefix,
        constants.LEDGER_TABLE: config.name(resources.LEDGER.logical),
        constants.JOB_STATE_TABLE: config.name(resources.JOB_STATE.logical),
        ENV_STATE_MACHINE_ARN: config.state_machine_arn,
        **(trigger or BatchTrigger()).as_env(),
    }


def allow_pipeline_starts(role: iam.IRole, config: InfraConfig, *, describe: bool = False) -> None:
    """``states:StartExecution`` on the pipeline state machine only (and, for the batch function,
    ``DescribeExecution`` of its executions: is a lock holder still running?)."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="StartPipeline", actions=["states:StartExecution"], resources=[config.state_machine_arn]
        )
    )
    if describe:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DescribePipelineExecutions",
                actions=["states:DescribeExecution"],
                resources=[config.pipeline_executions_arn],
            )
        )
