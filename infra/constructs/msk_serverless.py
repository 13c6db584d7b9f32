"""MSK Serverless: the Kafka cluster of order events, IAM authentication only."""

from __future__ import annotations

from aws_cdk import Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_msk as msk
from constructs import Construct


class MskServerless(Construct):
    """A serverless cluster in the private subnets, reachable on 9098 (IAM/TLS) from ``clients``.

    ``topic_arn``/``group_arn`` build the ARNs IAM policies need from the cluster ARN
    (``cluster/<name>/<uuid>`` -> ``topic/<name>/<uuid>/<topic>``).
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster_name: str, vpc: ec2.IVpc) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description=f"{cluster_name} brokers", allow_all_outbound=False
        )
        subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.cluster = msk.CfnServerlessCluster(
            self,
            "Cluster",
            cluster_name=cluster_name,
            client_authentication=msk.CfnServerlessCluster.ClientAuthenticationProperty(
                sasl=msk.CfnServerlessCluster.SaslProperty(
                    iam=msk.CfnServerlessCluster.IamProperty(enabled=True)
                )
            ),
            vpc_configs=[
                msk.CfnServerlessCluster.VpcConfigProperty(
                    subnet_ids=subnets.subnet_ids, security_groups=[self.security_group.security_group_id]
                )
            ],
        )
        self.cluster_arn = self.cluster.attr_arn
        self.cluster_name = cluster_name

    def allow_clients(self, clients: ec2.ISecurityGroup) -> None:
        self.security_group.add_ingress_rule(clients, ec2.Port.tcp(9098), "Kafka clients (IAM auth over TLS)")

    def _child_arn(self, kind: str, name: str) -> str:
        stack = Stack.of(self)
        name_and_uuid = Fn.select(1, Fn.split(":cluster/", self.cluster_arn))
        return f"arn:{stack.partition}:kafka:{stack.region}:{stack.account}:{kind}/{name_and_uuid}/{name}"

    def topic_arn(self, topic: str) -> str:
        return self._child_arn("topic", topic)

    def group_arn(self, group: str) -> str:
        return self._child_arn("group", group)
