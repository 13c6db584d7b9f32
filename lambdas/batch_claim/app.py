"""Batch Lambda: the state machine's first state (claim) and its ends (finish, release).

Powertools decorators around one call, ``gladiator.ingestion.claim.run_batch_step``; the event is
``{"action": "claim" | "finish" | "release", "execution": <execution name>, "input": <state>}``
as the state machine's Lambda tasks send it. Clients are created on the first invocation.
"""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from gladiator.ingestion.claim import BatchStepDeps, run_batch_step

logger = Logger(service="batch_claim")
tracer = Tracer(service="batch_claim")
metrics = Metrics(namespace="Gladiator", service="batch_claim")


@functools.cache
def deps() -> BatchStepDeps:
    """Stores, the trigger policy and the Step Functions starter, built once per container."""
    import boto3

    from gladiator.config import load_settings
    from gladiator.ingestion.process import batch_step_deps

    return batch_step_deps(load_settings(), boto3.Session())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = run_batch_step(event, deps())
    metrics.add_metric(name=f"BatchStep_{event.get('action', 'claim')}", unit=MetricUnit.Count, value=1)
    if result.get("file_count"):
        metrics.add_metric(name="FilesClaimed", unit=MetricUnit.Count, value=result["file_count"])
    logger.info("batch step done", action=event.get("action", "claim"), **result)
    return result
