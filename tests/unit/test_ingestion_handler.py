"""The landing Lambda's handler wiring, without services: the per-object work is replaced, the
Powertools batch processing, partial failures, metrics and logging are the real ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

from gladiator.errors import IllegalTransition
from local_emulation.lambda_runtime import LambdaContext, load_handler_module


def sqs_record(message_id: str, body: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1",
            "SenderId": "x",
            "ApproximateFirstReceiveTimestamp": "1",
        },
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:landing",
        "awsRegion": "us-east-1",
    }


def object_created(key: str) -> dict[str, Any]:
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {
            "bucket": {"name": "landing"},
            "object": {"key": key, "size": 1, "etag": "e", "version-id": "v"},
        },
    }


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Any:  # the module, with test attributes
    module: Any = load_handler_module(instance=900)  # a private copy of the module...
    module.metrics.clear_metrics()  # ...but Powertools keeps metrics process-wide: start empty
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    seen: list[str] = []

    def ingest(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event["key"])
        if "illegal" in event["key"]:
            raise IllegalTransition(f"{event['file_id']}: cannot move from LOADED to VALIDATED")
        if "boom" in event["key"]:
            raise RuntimeError("DynamoDB throttled")
        return {"file_id": event["file_id"], "action": "validated", "state": "VALIDATED"}

    runtime = module.Runtime(config=IdempotencyConfig(), ingest=ingest)
    monkeypatch.setattr(module, "runtime", lambda: runtime)
    module.seen = seen
    module.logged = logged = []
    real = module.logger

    class SpyLogger:  # records what the handler logs, then logs it for real
        def error(self, message: str, **fields: Any) -> None:
            logged.append(("ERROR", message, fields))
            real.error(message, **fields)

        def info(self, message: str, **fields: Any) -> None:
            logged.append(("INFO", message, fields))
            real.info(message, **fields)

        def exception(self, message: str, **fields: Any) -> None:
            logged.append(("EXCEPTION", message, fields))
            real.exception(message, **fields)

    monkeypatch.setattr(module, "logger", SpyLogger())
    return module


def test_partial_batch_failure_reports_only_the_failed_records(
    app: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    event = {
        "Records": [
            sqs_record("ok", object_created("orders/a.csv")),
            sqs_record("garbage", "not json"),
            sqs_record("retry", object_created("orders/boom.csv")),
            sqs_record("illegal", object_created("orders/illegal.csv")),
        ]
    }
    response = app.handler(event, LambdaContext(function_name="t", timeout_s=30))
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == ["garbage", "retry"]
    assert app.seen == ["orders/a.csv", "orders/boom.csv", "orders/illegal.csv"]
    captured = capfd.readouterr()
    out = captured.out + captured.err
    emf = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]
    metrics = {k: v for blob in emf for k, v in blob.items() if k.startswith(("Files_", "Illegal"))}
    assert metrics.get("IllegalTransitions") in (1, 1.0, [1.0]), metrics  # refused, logged and counted
    assert metrics.get("Files_validated") in (1, 1.0, [1.0]), metrics
    errors = [(m, f["file_id"]) for level, m, f in app.logged if level == "ERROR"]
    assert errors == [("illegal ledger transition refused", "landing/orders/illegal.csv#v")]


def test_the_handler_runs_the_batch_trigger_and_a_trigger_error_fails_no_record(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gladiator.ingestion.claim import BatchStepDeps

    calls: list[Any] = []
    deps = BatchStepDeps(batches=object(), starter=lambda name, payload: name)  # type: ignore[arg-type]
    monkeypatch.setattr(app, "maybe_start", lambda batches, trigger, starter: calls.append(batches) or "b-1")
    runtime = app.Runtime(config=IdempotencyConfig(), ingest=app.runtime().ingest, batch=deps)
    monkeypatch.setattr(app, "runtime", lambda: runtime)
    event = {"Records": [sqs_record("ok", object_created("orders/a.csv"))]}
    assert app.handler(event, LambdaContext(function_name="t", timeout_s=30))["batchItemFailures"] == []
    assert calls == [deps.batches]  # once per invocation, after the records

    def broken(*args: Any) -> str:
        raise RuntimeError("throttled")

    monkeypatch.setattr(app, "maybe_start", broken)
    assert app.handler(event, LambdaContext(function_name="t", timeout_s=30))["batchItemFailures"] == []
    assert ("EXCEPTION", "batch trigger failed", {}) in app.logged  # logged; the schedule catches up
