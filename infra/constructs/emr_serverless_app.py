"""An optional EMR Serverless Spark application (``-c gladiator:emr_serverless=true``)."""

from __future__ import annotations

from aws_cdk import aws_emrserverless as emr
from constructs import Construct


class EmrServerlessApp(Construct):
    """A Spark application that stops itself after 15 idle minutes and is capped in size: an
    alternative runtime for the same job scripts when Glue's per-DPU price does not fit."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, release_label: str = "emr-7.9.0"
    ) -> None:
        super().__init__(scope, construct_id)
        self.application = emr.CfnApplication(
            self,
            "Application",
            name=name,
            release_label=release_label,
            type="SPARK",
            auto_start_configuration=emr.CfnApplication.AutoStartConfigurationProperty(enabled=True),
            auto_stop_configuration=emr.CfnApplication.AutoStopConfigurationProperty(
                enabled=True, idle_timeout_minutes=15
            ),
            maximum_capacity=emr.CfnApplication.MaximumAllowedResourcesProperty(
                cpu="16 vCPU", memory="64 GB"
            ),
        )
