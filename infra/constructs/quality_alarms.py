"""CloudWatch alarms on the data-quality checks across runs: one per entity and check.

The batch job evaluates the checks after each run (``gladiator.quality.check_emf_lines``) and
logs one EMF record per entity: ``RowCountAnomaly`` and ``FreshnessBreach`` (1 = the warning
``gladiator pipeline status`` shows, 0 = fine) in namespace ``Gladiator/DataQuality`` with the
dimension ``Entity``.

Why one alarm per entity and check rather than one metric-math alarm: the alarm's name and its
SNS notification then say *which* entity and *which* check (a math alarm over all entities says
only "something"), each can be silenced or tuned on its own, and CloudWatch metric-math alarms
cannot use SEARCH, so a math alarm would list every entity's metric anyway. The cost is 12 standard
alarms (8 entities x row count, 4 entities with a freshness SLA x freshness). Entities without a
``freshness_sla_hours`` (static reference data) get no freshness alarm: the check never fires
for them. Missing data is not breaching: no run, no verdict (``DataFreshness`` in
``PipelineAlarms`` covers "no successful run at all").
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from constructs import Construct

from gladiator.contracts.model import Contract
from gladiator.quality import CHECK_METRICS, EMF_NAMESPACE
from infra.constructs.pipeline_alarms import notifying_alarm

PERIOD = Duration.minutes(5)  # the pipeline schedule's catch-up interval


def check_metric(check: str, entity: str) -> cloudwatch.Metric:
    """The per-entity 0/1 metric of ``check`` (a key of ``gladiator.quality.CHECK_METRICS``)."""
    return cloudwatch.Metric(
        namespace=EMF_NAMESPACE,
        metric_name=CHECK_METRICS[check],
        dimensions_map={"Entity": entity},
        statistic="Maximum",
        period=PERIOD,
    )


class QualityAlarms(Construct):
    """``RowCount<Entity>`` for every contract, ``Freshness<Entity>`` for those with an SLA; each
    notifies ``topic`` when a run raised the warning."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        alarm_name_prefix: str,
        contracts: Sequence[Contract],
    ) -> None:
        super().__init__(scope, construct_id)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.alarm_arns: dict[str, str] = {}
        for contract in contracts:
            entity = contract.name
            wanted = {
                "row_count_anomaly": (
                    f"RowCount{entity.title()}",
                    f"{entity}: rows accepted by the last run outside mean(last runs) x "
                    f"(1 ± {contract.row_count_band:.0%}). `gladiator pipeline status` shows the counts.",
                )
            }
            if contract.freshness_sla_hours is not None:
                wanted["freshness"] = (
                    f"Freshness{entity.title()}",
                    f"{entity}: newest {contract.version_column} older than its "
                    f"{contract.freshness_sla_hours:g} h SLA after the last run.",
                )
            for check, (key, description) in wanted.items():
                name = f"{alarm_name_prefix}-quality-{entity}-{check.replace('_', '-')}"
                alarm, arn = notifying_alarm(
                    self,
                    key,
                    name=name,
                    metric=check_metric(check, entity),
                    description=description,
                    topic=topic,
                )
                self.alarms[key] = alarm
                self.alarm_arns[key] = arn
