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


# --- the real per-object work on moto in-process: file-rule metrics and lineage --------------
class LineageEndpoint:
    """An OpenLineage HTTP endpoint on localhost: what the Lambda's HTTP transport POSTs (AWS)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.events = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def landing(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real handler (runtime built from the environment as on AWS) over moto in-process."""
    import boto3
    from moto import mock_aws

    from gladiator import constants, resources
    from local_emulation.provision import table_definition

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    endpoint = LineageEndpoint()
    env = {
        constants.PROFILE: "aws",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        constants.LEDGER_TABLE: "t-ledger",
        constants.JOB_STATE_TABLE: "t-jobs",
        constants.IDEMPOTENCY_TABLE: "t-idempotency",
        constants.LANDING_BUCKET: "t-landing",
        constants.QUARANTINE_BUCKET: "t-quarantine",
        constants.LINEAGE_URL: endpoint.url,
        "POWERTOOLS_METRICS_DISABLED": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        for table, spec in (
            ("t-ledger", resources.LEDGER),
            ("t-jobs", resources.JOB_STATE),
            ("t-idempotency", resources.IDEMPOTENCY),
        ):
            ddb.create_table(**table_definition(table, spec))
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("t-landing", "t-quarantine"):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        module: Any = load_handler_module(instance=901)
        module.runtime.cache_clear()  # built from this test's environment
        module.metrics.clear_metrics()
        module.s3, module.endpoint = s3, endpoint
        yield module
        module.runtime.cache_clear()
        endpoint.server.shutdown()


def dropped(s3: Any, key: str, body: bytes, n: int) -> dict[str, Any]:
    """Put ``body`` at ``key`` and return the SQS record of its EventBridge "Object Created"."""
    put = s3.put_object(Bucket="t-landing", Key=key, Body=body)
    detail = {
        "bucket": {"name": "t-landing"},
        "object": {
            "key": key,
            "size": len(body),
            "etag": put["ETag"].strip('"'),
            "version-id": put["VersionId"],
            "sequencer": f"{n:016X}",
        },
    }
    return sqs_record(f"m{n}", {"source": "aws.s3", "detail-type": "Object Created", "detail": detail})


def emf_records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]


def total(value: float | list[float]) -> float:
    """An EMF value: a number, or a list of them (Powertools writes lists)."""
    return sum(value) if isinstance(value, list) else value


def file_quality(records: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[float, float]]:
    """(entity, rule) -> (FilesChecked, FilesFailed), summed over the records."""
    from gladiator.quality import EMF_NAMESPACE

    found: dict[tuple[str, str], tuple[float, float]] = {}
    for record in records:
        directive = record["_aws"]["CloudWatchMetrics"][0]
        if directive["Namespace"] != EMF_NAMESPACE:
            continue
        assert {"Stage", "Entity", "Rule"} <= set(directive["Dimensions"][0])
        assert record["Stage"] == "landing"
        checked, failed = found.get((record["Entity"], record["Rule"]), (0, 0))
        found[(record["Entity"], record["Rule"])] = (
            checked + total(record["FilesChecked"]),
            failed + total(record["FilesFailed"]),
        )
    return found


def test_each_validated_file_publishes_its_file_rule_results_once(
    landing: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    from gladiator.contracts import CONTRACTS
    from gladiator.quality import FILE_RULES

    header = ",".join(CONTRACTS["orders"].column_names).encode()
    row = ",".join("1" for _ in CONTRACTS["orders"].column_names).encode()
    records = [
        dropped(landing.s3, "orders/good.csv", header + b"\n" + row + b"\n", 1),
        dropped(landing.s3, "orders/header-only.csv", header + b"\n", 2),
        dropped(landing.s3, "misc/unknown.csv", b"a,b\n1,2\n", 3),
    ]
    context = LambdaContext(function_name="t", timeout_s=30)
    assert landing.handler({"Records": records}, context)["batchItemFailures"] == []
    found = file_quality(emf_records(capfd.readouterr().out))
    rules = [rule for rule, _ in FILE_RULES]
    # good.csv passed every rule, header-only.csv every rule up to has_rows, which it failed
    assert {rule: found[("orders", rule)] for rule in rules} == {
        **{rule: (2, 0) for rule in rules[:-1]},
        "has_rows": (2, 1),
    }
    # an unknown entity stops at the second rule
    assert {k: v for k, v in found.items() if k[0] == "unknown"} == {
        ("unknown", "is_a_file"): (1, 0),
        ("unknown", "known_entity"): (1, 1),
    }
    # a redelivered event is answered by idempotency: no second count
    assert landing.handler({"Records": records[:1]}, context)["batchItemFailures"] == []
    assert file_quality(emf_records(capfd.readouterr().out)) == {}


def test_each_object_is_a_lineage_run_from_its_version_to_the_file_or_its_quarantine_copy(
    landing: Any,
) -> None:
    from gladiator.lineage import graph

    header = ",".join(
        __import__("gladiator.contracts", fromlist=["CONTRACTS"]).CONTRACTS["nation"].column_names
    )
    good = dropped(landing.s3, "nation/n.csv", (header + "\n" + ",".join("1" * 4) + "\n").encode(), 1)
    bad = dropped(landing.s3, "nation/empty.csv", header.encode() + b"\n", 2)
    landing.handler({"Records": [good, bad]}, LambdaContext(function_name="t", timeout_s=30))
    events = landing.endpoint.events
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "START", "COMPLETE"]
    assert {e["job"]["name"] for e in events} == {"on_landing_object"}
    good_version = json.loads(good["body"])["detail"]["object"]["version-id"]
    bad_version = json.loads(bad["body"])["detail"]["object"]["version-id"]
    assert {(e.source, e.target) for e in graph.edges(events)} == {
        (f"s3://t-landing/nation/n.csv#{good_version}", "s3://t-landing/nation/n.csv"),
        (
            f"s3://t-landing/nation/empty.csv#{bad_version}",
            "s3://t-quarantine/quarantine/header_only/nation/empty.csv",
        ),
    }
    complete = [e for e in events if e["eventType"] == "COMPLETE"]
    assertions = {
        a["assertion"]: a["success"]
        for e in complete
        if e["inputs"][0]["name"].startswith("nation/empty.csv")
        for a in e["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    }
    assert assertions["has_rows"] is False and assertions["known_entity"] is True


def test_a_failing_object_is_a_fail_event(landing: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from gladiator.ingestion import process

    good = dropped(landing.s3, "region/ok.csv", b"r_regionkey\n1\n", 1)
    failing = dropped(landing.s3, "region/r.csv", b"r_regionkey\n1\n", 2)
    real = process.validate_object

    def validate(reader: Any, key: str, limits: Any) -> Any:
        if key == "region/r.csv":
            raise RuntimeError("S3 unavailable")
        return real(reader, key, limits)

    monkeypatch.setattr(process, "validate_object", validate)
    response = landing.handler({"Records": [good, failing]}, LambdaContext(function_name="t", timeout_s=30))
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["m2"]  # retried later
    by_run: dict[str, list[str]] = {}
    for event in landing.endpoint.events:
        by_run.setdefault(event["run"]["runId"], []).append(event["eventType"])
    assert sorted(by_run.values()) == [["START", "COMPLETE"], ["START", "FAIL"]]
    (fail,) = [e for e in landing.endpoint.events if e["eventType"] == "FAIL"]
    assert "S3 unavailable" in fail["run"]["facets"]["errorMessage"]["message"]
    version = json.loads(failing["body"])["detail"]["object"]["version-id"]
    assert [i["name"] for i in fail["inputs"]] == [f"region/r.csv#{version}"]
    assert fail["outputs"] == []
