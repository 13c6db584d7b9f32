"""Streaming: VPC, MSK Serverless (IAM auth) and the Glue streaming job of ``pipeline.STREAMING_JOBS``."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from gladiator import pipeline, resources
from infra import shared
from infra.config import InfraConfig
from infra.constructs.glue_job import GlueJob
from infra.constructs.glue_job_role import GlueJobRole
from infra.constructs.glue_network_connection import GlueNetworkConnection
from infra.constructs.glue_security import GlueSecurity
from infra.constructs.msk_serverless import MskServerless
from infra.constructs.network import Network
from infra.constructs.shared_library import SharedLibrary
from infra.nag import GRANT_ACTION_REASONS, acknowledge_grant_actions, acknowledge_resources, objects_of
from infra.stacks.processing import common_arguments

ORDERS_TOPIC = "orders"
CONSUMER_GROUP = "gladiator-streaming-orders"


class StreamingStack(Stack):
    """The streaming job reads MSK over IAM auth from inside the VPC (Glue NETWORK connection) and
    writes bronze/silver Delta in the lake and live KPIs in DynamoDB."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: InfraConfig, key: kms.IKey | None, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data_key = shared.data_key(self, config=config, key=key)
        lake = shared.bucket(self, resources.LAKE, config=config, key=data_key)
        live_kpis = shared.table(self, resources.LIVE_KPIS, config=config, key=data_key)

        self.network = Network(self, "Network", availability_zones=config.availability_zones)
        connection = GlueNetworkConnection(
            self, "GlueConnection", connection_name=config.name("streaming-network"), vpc=self.network.vpc
        )
        kafka_arguments = {"--topic": ORDERS_TOPIC, "--kafka_group_id": CONSUMER_GROUP}
        self.kafka: MskServerless | None = None
        if config.managed_kafka:
            self.kafka = MskServerless(
                self, "Kafka", cluster_name=config.name("orders"), vpc=self.network.vpc
            )
            self.kafka.allow_clients(connection.security_group)
            kafka_arguments["--kafka_cluster_arn"] = self.kafka.cluster_arn
        security = GlueSecurity(self, "GlueSecurity", name=config.name("glue-streaming"), key=data_key)
        library = SharedLibrary(self, "SharedLibrary")
        role = GlueJobRole(
            self, "JobRole", database_name=config.glue_database, description="Gladiator streaming Glue job"
        ).role

        self.jobs: dict[str, GlueJob] = {}
        for job in pipeline.STREAMING_JOBS:
            self.jobs[job.name] = GlueJob(
                self,
                f"Job{job.name.title().replace('_', '')}",
                spec=job,
                job_name=config.job_name(job.name),
                script=job.script,
                role=role,
                default_arguments={
                    **common_arguments(config),
                    **job.arguments,
                    **kafka_arguments,
                    **config.lineage_arguments(),
                    "--live_kpi_table": config.name(resources.LIVE_KPIS.logical),
                    "--checkpoint_location": f"s3://{lake.bucket_name}/_checkpoints/{job.name}/",
                },
                extra_python_files=[library.code],
                security_configuration=security.configuration,
                connections=[connection.connection],
            )

        lake.grant_read_write(role)
        live_kpis.grant_read_write_data(role)
        acknowledge_grant_actions(role, list(GRANT_ACTION_REASONS))
        acknowledge_resources(
            role,
            {objects_of(lake.bucket_name): "Writes bronze/silver Delta tables and checkpoints in the lake."},
        )
        if self.kafka is not None:
            self._grant_kafka(role, self.kafka)
        self._grant_network_interfaces(role)

    def _grant_kafka(self, role: iam.IRole, kafka: MskServerless) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="KafkaCluster",
                actions=[
                    "kafka-cluster:Connect",
                    "kafka-cluster:DescribeCluster",
                    "kafka:GetBootstrapBrokers",
                ],
                resources=[kafka.cluster_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="KafkaOrdersTopic",
                actions=["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
                resources=[kafka.topic_arn(ORDERS_TOPIC)],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="KafkaConsumerGroups",
                actions=["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
                resources=[kafka.group_arn(CONSUMER_GROUP)],
            )
        )

    def _grant_network_interfaces(self, role: iam.IRole) -> None:
        """What Glue needs to place workers in the VPC through the NETWORK connection."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="GlueVpcDescribe",
                actions=[
                    "ec2:DescribeVpcEndpoints", "ec2:DescribeRouteTables", "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcAttribute",
                ],
                resources=["*"],
            )
        )  # fmt: skip
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="GlueVpcNetworkInterfaces",
                actions=["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:CreateTags"],
                resources=[
                    self.format_arn(service="ec2", resource="network-interface", resource_name="*"),
                    self.format_arn(service="ec2", resource="subnet", resource_name="*"),
                    self.format_arn(service="ec2", resource="security-group", resource_name="*"),
                ],
                conditions={"StringEquals": {"aws:RequestedRegion": self.region}},
            )
        )
        ec2_arn = f"arn:<AWS::Partition>:ec2:{self.region}:{self.account}"
        acknowledge_resources(
            role,
            {
                "*": "ec2:Describe* calls take no resource ARN (Glue inspects the connection's VPC).",
                f"{ec2_arn}:network-interface/*": "Glue creates one ENI per worker, with generated ids.",
                f"{ec2_arn}:subnet/*": "ENIs are created in the connection's subnet, whose id is generated.",
                f"{ec2_arn}:security-group/*": "ENIs get the connection's security group, whose id is generated.",
            },
        )
