"""A Glue NETWORK connection: puts a job's workers in a private subnet of the VPC."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_glue as glue
from constructs import Construct


class GlueNetworkConnection(Construct):
    """Connection in the first private subnet with its own security group (self-referencing, as
    Glue requires for worker-to-worker traffic). Kafka auth is IAM, done by the job itself."""

    def __init__(self, scope: Construct, construct_id: str, *, connection_name: str, vpc: ec2.IVpc) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description=f"Glue workers of {connection_name}"
        )
        self.security_group.add_ingress_rule(self.security_group, ec2.Port.all_tcp(), "Glue worker to worker")
        subnet = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets[0]
        self.connection = glue.Connection(
            self,
            "Connection",
            connection_name=connection_name,
            type=glue.ConnectionType.NETWORK,
            description="Private subnet for Glue workers that read MSK",
            security_groups=[self.security_group],
            network=glue.ConnectionNetwork.subnet(subnet),
        )
