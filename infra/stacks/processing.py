"""Processing: Glue database and jobs, the pipeline state machine and its schedules."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from gladiator import pipeline, resources
from infra import shared
from infra.config import InfraConfig
from infra.constructs.emr_serverless_app import EmrServerlessApp
from infra.constructs.glue_database import GlueDatabase
from infra.constructs.glue_job import GlueJob
from infra.constructs.glue_job_role import GlueJobRole
from infra.constructs.glue_security import GlueSecurity
from infra.constructs.landing_function import BATCH_LAMBDA_DIR, PythonFunction
from infra.constructs.pipeline_access import allow_pipeline_starts, batch_environment
from infra.constructs.pipeline_schedule import PipelineSchedule
from infra.constructs.pipeline_state_machine import PipelineStateMachine
from infra.constructs.scheduled_job_trigger import ScheduledJobTrigger
from infra.constructs.shared_library import SharedLibrary
from infra.nag import (
    GRANT_ACTION_REASONS,
    acknowledge_grant_actions,
    acknowledge_resources,
    objects_of,
    table_indexes,
)


def common_arguments(config: InfraConfig) -> dict[str, str]:
    """Values of ``pipeline.COMMON_ARGUMENTS`` on AWS (the local runner fills them from Settings)."""
    values = {
        "--profile": "aws",
        "--lake_bucket": config.bucket_name(resources.LAKE),
        "--landing_bucket": config.bucket_name(resources.LANDING),
        "--glue_database": config.glue_database,
        "--ledger_table": config.name(resources.LEDGER.logical),
        "--job_state_table": config.name(resources.JOB_STATE.logical),
    }
    missing = set(pipeline.COMMON_ARGUMENTS) - set(values)
    if missing:
        raise ValueError(f"no AWS value for common job arguments {sorted(missing)}")
    return {name: values[name] for name in pipeline.COMMON_ARGUMENTS}


def default_arguments(config: InfraConfig, job: pipeline.JobSpec) -> dict[str, str]:
    """Common arguments plus the job's own; per-run ``{placeholders}`` come from the state machine."""
    return pipeline.default_arguments(job, common_arguments(config))


class ProcessingStack(Stack):
    """Batch jobs of ``pipeline.PIPELINE`` and ``pipeline.SCHEDULED_JOBS`` share one job role,
    granted the lake (read/write), landing (read), quarantine (read/write), the ledger and job
    state tables, and the warehouse Data API."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: InfraConfig, key: kms.IKey | None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_key = shared.data_key(self, config=config, key=key)
        lake = shared.bucket(self, resources.LAKE, config=config, key=data_key)
        landing = shared.bucket(self, resources.LANDING, config=config, key=data_key)
        quarantine = shared.bucket(self, resources.QUARANTINE, config=config, key=data_key)

        self.database = GlueDatabase(
            self, "Catalog", database_name=config.glue_database, location_uri=f"s3://{lake.bucket_name}/"
        )
        security = GlueSecurity(self, "GlueSecurity", name=config.name("glue"), key=data_key)
        library = SharedLibrary(self, "SharedLibrary")
        self.job_role = GlueJobRole(
            self, "JobRole", database_name=config.glue_database, description="Gladiator batch Glue jobs"
        ).role

        self.jobs: dict[str, GlueJob] = {}
        batch_jobs = [job for stage in pipeline.PIPELINE for job in stage.jobs] + list(
            pipeline.SCHEDULED_JOBS + pipeline.ON_DEMAND_JOBS
        )
        warehouse_arguments = {
            "--warehouse_workgroup": config.warehouse_name,
            "--warehouse_database": config.warehouse_database,
        }
        for job in batch_jobs:
            self.jobs[job.name] = GlueJob(
                self,
                f"Job{job.name.title().replace('_', '')}",
                spec=job,
                job_name=config.job_name(job.name),
                script=job.script,
                role=self.job_role,
                default_arguments={
                    **default_arguments(config, job),
                    **warehouse_arguments,
                    **config.lineage_arguments(),
                },
                extra_python_files=[library.code],
                security_configuration=security.configuration,
            )

        self.batch_function = PythonFunction(
            self,
            "BatchClaim",
            function_name=config.batch_function_name,
            source_dir=BATCH_LAMBDA_DIR,
            install_dependencies=config.bundle_lambda_dependencies,
            reserved_concurrency=2,
            timeout_s=120,
            environment={
                **batch_environment(config),
                "POWERTOOLS_SERVICE_NAME": "batch_claim",
                "POWERTOOLS_METRICS_NAMESPACE": "Gladiator",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        self.pipeline = PipelineStateMachine(
            self,
            "Pipeline",
            state_machine_name=config.state_machine_name,
            stages=pipeline.PIPELINE,
            backfill=pipeline.BACKFILL,
            job_names={name: job.job_name for name, job in self.jobs.items()},
            batch_function=self.batch_function.function,
        )
        PipelineSchedule(
            self,
            "PipelineSchedule",
            schedule_name=config.name("pipeline"),
            expression=config.pipeline_schedule,
            state_machine=self.pipeline.state_machine,
        )
        for job in pipeline.SCHEDULED_JOBS:
            ScheduledJobTrigger(
                self,
                f"Schedule{job.name.title().replace('_', '')}",
                trigger_name=config.job_name(job.name),
                job_name=self.jobs[job.name].job_name,
                expression=config.maintenance_schedule,
            )
        if config.emr_serverless:
            EmrServerlessApp(self, "EmrServerless", name=config.name("spark"))

        self._grant(config, lake=lake, landing=landing, quarantine=quarantine, data_key=data_key)

    def _grant_batch_function(self, config: InfraConfig, data_key: kms.IKey) -> None:
        """The batch Lambda: claims in the ledger and job-state tables, starts the next run."""
        role = self.batch_function.role
        for spec in (resources.LEDGER, resources.JOB_STATE):
            shared.table(self, spec, config=config, key=data_key).grant_read_write_data(role)
        allow_pipeline_starts(role, config, describe=True)
        acknowledge_resources(
            role,
            {
                table_indexes(self.region, self.account, config.name(resources.LEDGER.logical)): (
                    "Claims query the ledger GSIs (by_state for waiting files, by_batch to resume a claim)."
                ),
                config.pipeline_executions_arn: (
                    "DescribeExecution of this state machine's executions (is the lock holder still running?)."
                ),
            },
        )
        acknowledge_grant_actions(role, ["kms:GenerateDataKey*", "kms:ReEncrypt*"])

    def _grant(
        self, config: InfraConfig, *, lake: Any, landing: Any, quarantine: Any, data_key: kms.IKey
    ) -> None:
        self._grant_batch_function(config, data_key)
        role = self.job_role
        lake.grant_read_write(role)
        landing.grant_read(role)
        quarantine.grant_read_write(role)
        for spec in (resources.LEDGER, resources.JOB_STATE):
            shared.table(self, spec, config=config, key=data_key).grant_read_write_data(role)
        workgroup_arn = self.format_arn(
            service="redshift-serverless", resource="workgroup", resource_name="*"
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WarehouseDataApi",
                actions=["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement",
                         "redshift-serverless:GetCredentials"],
                resources=[workgroup_arn],
                conditions={"StringEquals": {"aws:ResourceTag/warehouse": config.warehouse_name}},
            )
        )  # fmt: skip
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WarehouseDataApiResults",
                actions=["redshift-data:DescribeStatement", "redshift-data:GetStatementResult"],
                resources=["*"],
                conditions={"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}},
            )
        )
        acknowledge_grant_actions(role, list(GRANT_ACTION_REASONS))
        acknowledge_resources(
            role,
            {
                f"arn:<AWS::Partition>:redshift-serverless:{self.region}:{self.account}:workgroup/*": (
                    "Workgroup ARNs end in a generated id; the aws:ResourceTag/warehouse condition pins the one workgroup."
                ),
                objects_of(
                    lake.bucket_name
                ): "Jobs read and write every layer of the lake (bronze, silver, gold, quarantine).",
                objects_of(landing.bucket_name): "landing_to_bronze reads the claimed landing files.",
                objects_of(
                    quarantine.bucket_name
                ): "bronze_to_silver writes rejected rows under their entity prefix.",
                table_indexes(self.region, self.account, config.name(resources.LEDGER.logical)): (
                    "Batch claims query the ledger GSIs (by_state, by_batch)."
                ),
            },
        )
