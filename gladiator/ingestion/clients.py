"""boto3 clients for the ingestion code, honouring per-service endpoints.

``Settings.boto3_kwargs()`` gives one endpoint for every service (moto locally). To mix emulators
(S3/SQS/EventBridge on LocalStack, DynamoDB on moto) the standard ``AWS_ENDPOINT_URL_<SERVICE>``
variables win over it here, as they would for a plain boto3 client without an explicit endpoint.
"""

from __future__ import annotations

import os
from typing import Any

SERVICE_ENV = {
    "s3": "S3",
    "sqs": "SQS",
    "events": "EVENTBRIDGE",
    "dynamodb": "DYNAMODB",
    "stepfunctions": "SFN",
}


def endpoint_for(service: str, settings: Any) -> str | None:
    """``AWS_ENDPOINT_URL_<SERVICE>`` if set, else the settings' endpoint (None on AWS)."""
    suffix = SERVICE_ENV.get(service, service.upper())
    return os.environ.get(f"AWS_ENDPOINT_URL_{suffix}") or settings.aws_endpoint


def make_client(service: str, settings: Any, session: Any = None) -> Any:
    import boto3

    kwargs: dict[str, Any] = {"region_name": settings.region}
    if endpoint := endpoint_for(service, settings):
        kwargs["endpoint_url"] = endpoint
    factory: Any = (session or boto3.Session()).client
    return factory(service, **kwargs)
